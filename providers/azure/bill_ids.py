"""Azure: the cost export's ``ResourceId`` is the full Azure Resource Manager id.

offhours already names Azure resources by that id; the export may change its case
(``bill check`` matches Azure ids case-insensitively), so the ledger keeps ARM's case.
"""

from __future__ import annotations

from collections.abc import Mapping

from providers.bill_ids import BillIdentity

_TYPES: dict[str, str] = {
    "vms": "Virtual Machine",
    "scale-sets": "Virtual Machine Scale Set",
    "ml-compute": "Compute Instance",
    "aks": "Kubernetes Cluster",
}


def identify(
    account: str, region: str, kind: str, resource_id: str, extra: Mapping[str, str]
) -> BillIdentity:
    return BillIdentity(resource_id, _TYPES.get(kind, kind))


# ARM resource type (lowercased, as cost exports often write ids) -> kind
_ARM_TYPES: tuple[tuple[str, str], ...] = (
    ("/providers/microsoft.compute/virtualmachines/", "vms"),
    ("/providers/microsoft.compute/virtualmachinescalesets/", "scale-sets"),
    ("/providers/microsoft.machinelearningservices/workspaces/", "ml-compute"),
    ("/providers/microsoft.containerservice/managedclusters/", "aks"),
)


def kind_of(bill_id: str) -> str | None:
    lowered = bill_id.lower()
    for part, kind in _ARM_TYPES:
        # A scale set's VMs (``…/virtualMachineScaleSets/S/virtualMachines/N``) match the
        # scale set's type, not the VMs'.
        if part in lowered and (kind != "ml-compute" or "/computes/" in lowered):
            return kind
    return None
