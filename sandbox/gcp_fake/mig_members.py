"""What a managed instance group does with its members after a resize.

``instanceGroupManagers.resize`` "is marked DONE when the resize actions are scheduled even
if the group has not yet added or deleted any instances. You must separately verify the
status of the creating or deleting actions with the listmanagedinstances method" (compute
v1 discovery document, revision 20261106). So here the resize operation only sets the
target size and marks members ``CREATING`` or ``DELETING``; the actions are carried out
over the next reads of ``listManagedInstances`` (two by default), at ``World.settle``, and
never before that when the group's members were held (``GcpFake.hold_members``). While
actions are pending the group reports ``status.isStable: false`` and its
``currentActions`` counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.gcp_fake.world import Json, World


def compute_time(at: Any) -> str:
    from sandbox.gcp_fake.world import compute_time as render

    return render(at)


READS_TO_FINISH = 2
_ACTIONS = ("abandoning", "creating", "deleting", "none", "recreating", "refreshing")


@dataclass
class MemberWork:
    """The member actions one resize scheduled, not yet carried out."""

    reads_left: int = READS_TO_FINISH
    held: bool = False


def members(world: World, mig: Json) -> list[tuple[str, str, str]]:
    """The keys of the group's member instances (``created-by`` is the group)."""
    return sorted(k for k, v in world.instances.items() if created_by(v) == mig["selfLink"])


def created_by(instance: Json) -> str:
    for item in instance.get("metadata", {}).get("items", []):
        if item.get("key") == "created-by":
            return str(item.get("value", ""))
    return ""


def schedule(world: World, key: tuple[str, str, str], size: int) -> None:
    """The resize as its operation leaves it: target size set, actions only scheduled."""
    mig = world.migs[key]
    project, scope, _ = key
    current = [k for k in members(world, mig) if world.member_actions.get(k) != "DELETING"]
    for member in current[size:]:
        world.member_actions[member] = "DELETING"
        world.instances[member]["status"] = "STOPPING"
    names = {k[2] for k in members(world, mig)}
    zone = scope.split("/", 1)[1]
    zone = zone if scope.startswith("zones/") else f"{zone}-a"
    index = 0
    for _ in range(len(current), size):
        while f"{mig['baseInstanceName']}-{index:04x}" in names:
            index += 1
        name = f"{mig['baseInstanceName']}-{index:04x}"
        names.add(name)
        world.add_member(key, zone, name, status="PROVISIONING")
        world.member_actions[(project, zone, name)] = "CREATING"
    mig["targetSize"] = size
    world.member_work[key] = MemberWork(held=key[2] in world.member_holds)
    world.member_holds.discard(key[2])
    render(world, key)


def read(world: World, key: tuple[str, str, str]) -> None:
    """One ``listManagedInstances`` read: pending actions move one step on."""
    work = world.member_work.get(key)
    if work is None or work.held:
        return
    work.reads_left -= 1
    if work.reads_left <= 0:
        finish(world, key)


def finish(world: World, key: tuple[str, str, str]) -> None:
    """Carry out every scheduled action of the group."""
    world.member_work.pop(key, None)
    for member in members(world, world.migs[key]):
        action = world.member_actions.pop(member, None)
        if action == "DELETING":
            del world.instances[member]
        elif action == "CREATING":
            world.instances[member]["status"] = "RUNNING"
            world.instances[member]["lastStartTimestamp"] = compute_time(world.clock())
    render(world, key)


def render(world: World, key: tuple[str, str, str]) -> None:
    """The group's ``status.isStable`` and ``currentActions`` as its members stand."""
    mig = world.migs[key]
    counts = dict.fromkeys(_ACTIONS, 0)
    for member in members(world, mig):
        counts[world.member_actions.get(member, "NONE").lower()] += 1
    mig["currentActions"] = counts
    mig["status"]["isStable"] = counts["none"] == sum(counts.values())


def managed_instances(world: World, key: tuple[str, str, str]) -> list[Json]:
    """``ManagedInstance`` entries (compute v1 schema) of the group's members."""
    rows: list[Json] = []
    for member in members(world, world.migs[key]):
        instance = world.instances[member]
        action = world.member_actions.get(member, "NONE")
        row: dict[str, Any] = {
            "instance": instance["selfLink"],
            "id": instance["id"],
            "name": instance["name"],
            "currentAction": action,
        }
        if action != "CREATING":  # "empty when the instance does not exist"
            row["instanceStatus"] = instance["status"]
        rows.append(row)
    return rows
