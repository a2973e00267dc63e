"""What Azure refuses to stop or scale, decided at plan time from what discovery read.

Each function returns the sentence a person reads in the plan (``Resource.unmanaged_reason``)
or "" when the resource can be scheduled. The table of these limits and their sources is
``docs/limits/azure.md``.
"""

from __future__ import annotations

from typing import Any

EPHEMERAL_OS_DISK = "ephemeral OS disk: cannot be deallocated, and powering off still bills"


def vm_refusal(vm: Any) -> str:
    """Why a VM (an ``azure.mgmt.compute`` model from List All) is left alone, or ""."""
    if vm.virtual_machine_scale_set:
        return f"member of scale set {vm.virtual_machine_scale_set.id}: scale the set"
    if has_ephemeral_os_disk(vm):
        return EPHEMERAL_OS_DISK
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
