"""Confirming a managed instance group's resize by its members, not by its operation.

An ``instanceGroupManagers.resize`` operation "is marked DONE when the resize actions are
scheduled even if the group has not yet added or deleted any instances"; the creating and
deleting is verified "with the listmanagedinstances method" (compute v1 discovery
document). So a resize is ``done`` here only once ``listManagedInstances`` shows the group
with exactly the new size's members and no action pending on any of them; until then it
is ``accepted``, and discovery reports the group transitional while ``status.isStable`` is
false, so the next run confirms it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from providers.apply import Deadline, Settled, join_notes
from providers.base import Outcome

if TYPE_CHECKING:
    from providers.gcp.connection import GcpConnection
    from providers.gcp.operations import ComputeOperation

# What a stateful group loses when resized down ("Configuring stateful MIGs": "When you
# permanently delete an instance (either manually or by resizing), the MIG does not
# preserve the instance's stateful metadata"; instance names are not kept either).
STATEFUL = (
    "stateful managed instance group: resizing it to 0 deletes its VMs with their names, "
    "stateful metadata and per-instance configs; offhours does not resize it"
)


def stateful_reason(mig: Any) -> str:
    """Why a group (a ``compute_v1.InstanceGroupManager``) is not resized; empty if it may be."""
    return STATEFUL if mig.status.stateful.has_stateful_config else ""


def unstable(mig: Any) -> bool:
    """The group says it still has actions under way (``status.isStable`` false)."""
    return "is_stable" in mig.status and not mig.status.is_stable


@dataclass(frozen=True)
class Pending:
    """How far a group's members are from ``size`` with no action under way."""

    members: int
    busy: int

    def left(self, size: int) -> int:
        return abs(self.members - size) + self.busy


@dataclass(frozen=True)
class MemberConfirmed:
    """A resize operation, then ``listManagedInstances`` until the members match ``size``."""

    connection: GcpConnection
    resize: ComputeOperation
    group_id: str  # projects/P/zones|regions/L/instanceGroupManagers/N
    size: int

    def settle(self, deadline: Deadline) -> Settled:
        settled = self.resize.settle(deadline)
        if settled.outcome is not Outcome.DONE:
            return settled
        pending, finished = deadline.wait(
            self._pending(), lambda _p: self._pending(), lambda p: p.left(self.size) == 0
        )
        if finished:
            note = f"listManagedInstances: {pending.members} member(s), none pending"
            return Settled(Outcome.DONE, join_notes(settled.detail, note))
        note = (
            f"resize scheduled; {pending.left(self.size)} member action(s) still pending "
            "at the deadline (listManagedInstances)"
        )
        return Settled(Outcome.ACCEPTED, join_notes(settled.detail, note))

    def _pending(self) -> Pending:
        _, project, where, location, _, name = self.group_id.split("/")
        if where == "regions":
            client = self.connection.compute("RegionInstanceGroupManagersClient")
            listed = client.list_managed_instances(
                project=project, region=location, instance_group_manager=name
            )
        else:
            client = self.connection.compute("InstanceGroupManagersClient")
            listed = client.list_managed_instances(
                project=project, zone=location, instance_group_manager=name
            )
        members = busy = 0
        for managed in listed:
            if managed.current_action == "DELETING":
                busy += 1
                continue
            members += 1
            busy += managed.current_action not in ("NONE", "")
        return Pending(members, busy)
