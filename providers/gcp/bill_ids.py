"""GCP: the full resource name the Cloud Billing detailed / FOCUS export writes.

The export's ``resource.global_name`` (FOCUS ``ResourceId``) is the service's full
resource name, ``//<service host>/<relative name>``. offhours' ids are the relative
names (``projects/P/zones/Z/instances/N``), so the rule adds the service host.
"""

from __future__ import annotations

from collections.abc import Mapping

from providers.bill_ids import BillIdentity

_RULES: dict[str, tuple[str, str]] = {
    "instances": ("Virtual Machine", "compute.googleapis.com"),
    "instance-groups": ("Managed Instance Group", "compute.googleapis.com"),
    "workbench": ("Notebook Instance", "notebooks.googleapis.com"),
    "vertex-endpoints": ("Inference Endpoint", "aiplatform.googleapis.com"),
}


def identify(
    account: str, region: str, kind: str, resource_id: str, extra: Mapping[str, str]
) -> BillIdentity:
    display, host = _RULES.get(kind, (kind, ""))
    if not host or resource_id.startswith("//"):
        return BillIdentity(resource_id, display)
    return BillIdentity(f"//{host}/{resource_id.lstrip('/')}", display)


_PATHS: tuple[tuple[str, str, str], ...] = (
    ("compute.googleapis.com", "/instances/", "instances"),
    ("notebooks.googleapis.com", "/instances/", "workbench"),
    ("aiplatform.googleapis.com", "/endpoints/", "vertex-endpoints"),
)


def kind_of(bill_id: str) -> str | None:
    for host, part, kind in _PATHS:
        if bill_id.startswith(f"//{host}/") and part in bill_id:
            return kind
    return None
