"""What Azure refuses to stop or scale, decided at plan time from what discovery read.

Each function returns the sentence a person reads in the plan (``Resource.unmanaged_reason``)
or "" when the resource can be scheduled. The table of these limits and their sources is
``docs/limits/azure.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

EPHEMERAL_OS_DISK = "ephemeral OS disk: cannot be deallocated, and powering off still bills"


def vm_refusal(vm: Any) -> str:
    """Why a VM (an ``azure.mgmt.compute`` model from List All) is left alone, or ""."""
    if vm.virtual_machine_scale_set:
        return f"member of scale set {vm.virtual_machine_scale_set.id}: scale the set"
    if has_ephemeral_os_disk(vm):
        return EPHEMERAL_OS_DISK
    return _billed_anyway(vm)


def _billed_anyway(vm: Any) -> str:
    """Capacity that bills whether the VM runs or not: deallocating it saves nothing, and a
    saving booked for it would be false (Microsoft Learn, "On-demand capacity reservation"
    and "Azure Dedicated Hosts": billed per reservation or per host, VMs or not)."""
    return billed_anyway(vm.capacity_reservation, vm.host or vm.host_group, "the VM runs")


def scale_set_billed_anyway(vmss: Any) -> str:
    """The same for a scale set's instances (``virtualMachineProfile.capacityReservation``,
    ``hostGroup``): scaling it to 0 saves nothing."""
    profile = vmss.virtual_machine_profile
    reservation = profile.capacity_reservation if profile else None
    return billed_anyway(reservation, vmss.host_group, "the instances run")


def billed_anyway(reservation: Any, host: Any, running: str) -> str:
    """The reason for a capacity reservation or a dedicated host (SDK models), or ""."""
    group = reservation.capacity_reservation_group if reservation else None
    if group is not None and group.id:
        return (
            f"in capacity reservation group {group.id.rsplit('/', 1)[-1]}: the reservation "
            f"bills whether {running} or not, so stopping saves nothing"
        )
    if host is not None and host.id:
        return (
            f"on dedicated host {host.id.rsplit('/', 1)[-1]}: the host bills whether "
            f"{running} or not, so stopping saves nothing"
        )
    return ""


def has_ephemeral_os_disk(vm: Any) -> bool:
    """``storageProfile.osDisk.diffDiskSettings.option == "Local"``: the OS disk lives on the
    host's local storage, and Azure has no stop-deallocate for such VMs (Microsoft Learn,
    "Ephemeral OS disks")."""
    profile = vm.storage_profile
    os_disk = profile.os_disk if profile else None
    settings = os_disk.diff_disk_settings if os_disk else None
    option = getattr(settings, "option", None) or ""
    return str(getattr(option, "value", option)).lower() == "local"  # an SDK enum or a str


# Tags AKS sets on the scale sets of its node pools ("aks-managed-" is reserved for AKS).
AKS_TAG_PREFIX = "aks-managed-"
AKS_POOL_TAG = "aks-managed-poolname"


def looks_aks_owned(tags: Mapping[str, str], resource_group: str) -> bool:
    """Worth asking which cluster owns it: AKS's reserved tags, or an ``MC_`` group."""
    return resource_group.lower().startswith("mc_") or any(
        k.lower().startswith(AKS_TAG_PREFIX) for k in tags
    )


def aks_pool_refusal(
    tags: Mapping[str, str], resource_group: str, clusters_by_node_group: Mapping[str, str]
) -> str:
    """A scale set of an AKS node pool is AKS's to scale: changing its capacity behind AKS's
    back is undone or breaks the pool. ``clusters_by_node_group``: lowercased node resource
    group -> cluster name. Tag names are lowercased (``normalize_tags``)."""
    cluster = clusters_by_node_group.get(resource_group.lower())
    if cluster is None and not any(k.startswith(AKS_TAG_PREFIX) for k in tags):
        return ""
    pool = tags.get(AKS_POOL_TAG) or tags.get("poolname") or "?"
    return f"AKS node pool {pool} of cluster {cluster or '(unknown)'}: schedule the cluster"


def autoscale_minimum(setting: Mapping[str, Any]) -> int:
    """The highest ``capacity.minimum`` over an autoscale setting's profiles (strings in the
    2022-10-01 REST shapes), or 0."""
    profiles = (setting.get("properties") or {}).get("profiles") or []
    minimums = [_int((p.get("capacity") or {}).get("minimum")) for p in profiles]
    return max(minimums, default=0)


def autoscale_refusal(setting: Mapping[str, Any] | None) -> str:
    """An enabled autoscale setting with a minimum above 0 scales the set back up minutes
    after offhours takes it to 0: left alone, with what to change."""
    if not setting or not (setting.get("properties") or {}).get("enabled", True):
        return ""
    minimum = autoscale_minimum(setting)
    if minimum <= 0:
        return ""
    return (
        f"autoscale setting {setting.get('name')} keeps at least {minimum} "
        f"instance{'s' if minimum > 1 else ''}: "
        "set its minimum to 0 or disable it to schedule this scale set"
    )


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def aks_stop_refusal(props: Mapping[str, Any], sku_name: str = "") -> str:
    """Why AKS cannot stop a cluster (``properties`` and ``sku.name`` of a managed cluster),
    or "".

    Microsoft Learn, "Stop and start an AKS cluster": only clusters backed by Virtual
    Machine Scale Sets can be stopped, and not those using node auto-provisioning. AKS
    Automatic clusters (``sku.name = Automatic``) always use it ("What is AKS Automatic?"),
    which also covers an answer that lacks ``nodeProvisioningProfile``."""
    provisioning = str((props.get("nodeProvisioningProfile") or {}).get("mode") or "")
    if provisioning.lower() == "auto" or sku_name.lower() == "automatic":
        return "node auto-provisioning is on: AKS cannot stop this cluster"
    others = [
        f"{p.get('name')} ({p.get('type')})"
        for p in props.get("agentPoolProfiles") or []
        if str(p.get("type") or "VirtualMachineScaleSets") != "VirtualMachineScaleSets"
    ]
    if others:
        return (
            f"AKS stops only clusters whose node pools are scale sets: {', '.join(others)} is not"
        )
    return ""


def ml_schedule_refusal(instance: Mapping[str, Any]) -> str:
    """A compute instance's own enabled *start* schedule (``schedules.computeStartStop``,
    MachineLearningServices REST 2024-04-01) would start it inside offhours' off hours,
    and the two would take turns: left alone, with what to change. Stop-only schedules
    agree with offhours and are no obstacle."""
    schedules = (instance.get("schedules") or {}).get("computeStartStop") or []
    starts = [
        s
        for s in schedules
        if str(s.get("action", "")).lower() == "start"
        and str(s.get("status", "Enabled")).lower() == "enabled"
    ]
    if not starts:
        return ""
    when = (starts[0].get("cron") or {}).get("expression") or "its recurrence"
    return (
        f"the compute instance has its own start schedule ({when}): "
        "remove it, or the schedule tag, so one scheduler decides"
    )
