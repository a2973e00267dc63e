"""Compute Engine VMs with a Local SSD: stopping (or suspending) one discards its data.

``instances.stop`` and ``instances.suspend`` refuse a VM with a Local SSD attached unless
the request says what to do with the disk's data (``discardLocalSsd``, "required if the
instance has any attached Local SSD disks": compute v1 discovery document). offhours never
decides that for the owner: such a VM is left alone until it carries the opt-in label, and
then every stop or suspend sends ``discardLocalSsd=true``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# A GCP label (lowercase key and value) the owner sets to accept losing the data.
OPT_IN_LABEL = "offhours-discard-local-ssd"
# ``AttachedDisk.type``: a Local SSD is a SCRATCH disk (persistent disks are PERSISTENT).
_SCRATCH = "SCRATCH"


def local_ssd_count(instance: Any) -> int:
    """How many Local SSD disks the instance (a ``compute_v1.Instance``) has attached."""
    return sum(1 for disk in instance.disks if disk.type_ == _SCRATCH)


def discard_allowed(labels: Mapping[str, str]) -> bool:
    return labels.get(OPT_IN_LABEL, "").strip().lower() == "true"


def refusal(count: int, labels: Mapping[str, str]) -> str:
    """Why a VM with ``count`` Local SSDs is not scheduled; empty when it may be."""
    if count == 0 or discard_allowed(labels):
        return ""
    return (
        f"local SSD attached ({count}): set {OPT_IN_LABEL}=true to allow stopping, its data is lost"
    )
