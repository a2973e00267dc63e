"""VM scale sets: scale to capacity 0 in off hours and back to the exact previous capacity.

The capacity to come back to is saved in the restore store (``providers/restore.py``) and
read back before the capacity changes, so a crash between the two steps loses nothing: the
next run finds the scale set still running and saves the same number again. Scaling up
sets the saved capacity and forgets it once the update is done. A scale set at 0 with
nothing saved is a failed start ("no saved size to restore"), never guessed up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from providers.apply import NO_SAVED_SIZE, AlreadyOff, Refused, Started
from providers.azure.common import PROVIDER, normalize_tags, parse_id, region
from providers.azure.connection import AzureConnection
from providers.azure.limits import scale_set_billed_anyway
from providers.azure.operations import LroOperation, deadline, engine
from providers.azure.prices import fleet_price
from providers.azure.resource_groups import PERMISSION as GROUPS_PERMISSION
from providers.azure.resource_groups import scope_for
from providers.azure.scale_set_owners import Owners, read_owners
from providers.azure.sizes import is_accelerated
from providers.base import (
    Action,
    Decision,
    Resource,
    ResourceState,
    Result,
    Scope,
    Target,
    tagged,
)
from providers.restore import ScalesToZero
from providers.scopes import inherit
from providers.store import StoreError

_BUSY = {"creating", "updating", "deleting", "migrating"}


def _refusal(vmss: Any, tags: Mapping[str, str], owners: Owners) -> str:
    """Why the scale set is not offhours' to scale (``providers/azure/limits.py``), or ""."""
    group = parse_id(vmss.id).resource_group
    return owners.refusal(vmss.id, tags, group) or scale_set_billed_anyway(vmss)


class ScaleSets(ScalesToZero[AzureConnection]):
    kind = "scale-sets"
    permissions = (
        "Microsoft.Compute/virtualMachineScaleSets/read",
        "Microsoft.Compute/virtualMachineScaleSets/write",
        "Microsoft.Compute/locations/operations/read",
        # Who else sizes a scale set (``scale_set_owners.py``).
        "Microsoft.Insights/autoscalesettings/read",
        "Microsoft.ContainerService/managedClusters/read",
        GROUPS_PERMISSION,
    )

    def discover(self, target: Target) -> list[Resource]:
        # Azure tag keys are case-insensitive: the resources' keys are lowercased.
        return tagged(self.inventory(target), self.options.tag_key.lower())

    def inventory(self, target: Target) -> list[Resource]:
        """Every scale set, tagged or not (the digest's opportunities)."""
        scale_sets = self.connection.compute(target.account).virtual_machine_scale_sets
        listed = [v for v in scale_sets.list_all() if self.connection.in_scope(v.location)]
        owners = read_owners(
            self.connection.arm(),
            target.account,
            [(normalize_tags(v.tags), parse_id(v.id).resource_group) for v in listed],
        )
        scopes = self.connection.group_scopes(target.account) if listed else {}
        return [self._resource(target, vmss, owners, scopes) for vmss in listed]

    def _resource(
        self, target: Target, vmss: Any, owners: Owners, scopes: dict[str, Scope]
    ) -> Resource:
        capacity = int(vmss.sku.capacity or 0) if vmss.sku else 0
        size = (vmss.sku.name if vmss.sku else "") or ""
        if (vmss.provisioning_state or "").lower() in _BUSY:
            state = ResourceState.TRANSITIONAL
        else:
            state = ResourceState.RUNNING if capacity > 0 else ResourceState.SCALED_DOWN
        tags, scope = inherit(normalize_tags(vmss.tags), scope_for(scopes, vmss.id))
        location = region(vmss.location)
        resource = Resource(
            provider=PROVIDER,
            account=target.account,
            region=location,
            kind=self.kind,
            id=vmss.id,
            name=vmss.name,
            tags=tags,
            state=state,
            size=size,
            off_state=ResourceState.SCALED_DOWN,
            service="Virtual Machine Scale Sets",
            accelerator=is_accelerated(size),
            scope=scope,
        )
        saved = self._saved(resource) if capacity == 0 else None
        instances = capacity or saved or 0
        # A set offhours took to 0 (a capacity is saved) is always given back, even if it
        # has since become another's to size: a restore never leaves it off.
        given_back = capacity == 0 and saved is not None
        return replace(
            resource,
            price=fleet_price([(size, instances)], location, tags),
            unmanaged_reason="" if given_back else _refusal(vmss, tags, owners),
            extra={
                "capacity": str(capacity),
                "saved_capacity": "" if saved is None else str(saved),
            },
        )

    def act(self, decisions: Sequence[Decision]) -> Iterable[Result]:
        handlers = {Action.SCALE_DOWN: self._scale_down, Action.SCALE_UP: self._scale_up}
        return engine(self.kind, self.options).run(decisions, handlers, deadline(self.connection))

    def _scale_down(self, decision: Decision) -> Started:
        from azure.mgmt.compute.models import Sku, VirtualMachineScaleSetUpdate

        resource = decision.resource
        ids = parse_id(resource.id)
        ops = self.connection.compute(resource.account).virtual_machine_scale_sets
        vmss = ops.get(ids.resource_group, ids.name)
        capacity = int(vmss.sku.capacity or 0)
        if capacity == 0:
            raise AlreadyOff("the scale set is at capacity 0")
        # Saved and read back first: without it the capacity does not change.
        self.restore.save(resource, {"capacity": capacity}, self.options.clock())
        sku = Sku(name=vmss.sku.name, tier=vmss.sku.tier, capacity=0)
        poller = ops.begin_update(
            ids.resource_group,
            ids.name,
            VirtualMachineScaleSetUpdate(sku=sku),
            polling_interval=self.connection.polling_interval,
        )
        detail = f"capacity {capacity} -> 0 (saved at {self.restore.key(resource)})"
        return Started(LroOperation(poller), detail)

    def _scale_up(self, decision: Decision) -> Started:
        from azure.mgmt.compute.models import Sku, VirtualMachineScaleSetUpdate

        resource = decision.resource
        ids = parse_id(resource.id)
        ops = self.connection.compute(resource.account).virtual_machine_scale_sets
        vmss = ops.get(ids.resource_group, ids.name)
        saved = self._required(resource)
        update = VirtualMachineScaleSetUpdate(
            sku=Sku(name=vmss.sku.name, tier=vmss.sku.tier, capacity=saved)
        )
        poller = ops.begin_update(
            ids.resource_group, ids.name, update, polling_interval=self.connection.polling_interval
        )
        current = int(vmss.sku.capacity or 0)
        return Started(
            LroOperation(poller),
            f"capacity {current} -> {saved}",
            lambda: self.restore.forget_noted(resource, "saved capacity"),
        )

    def _required(self, resource: Resource) -> int:
        capacity = int(self.restore.require(resource).get("capacity", 0))
        if capacity <= 0:
            raise Refused(f"{NO_SAVED_SIZE} (saved capacity is {capacity})")
        return capacity

    def _saved(self, resource: Resource) -> int | None:
        """For a scale set at 0: the capacity it comes back to (prices the avoided hours)."""
        try:
            data = self.restore.load(resource)
        except StoreError:
            return None
        return int(data["capacity"]) if data and "capacity" in data else None
