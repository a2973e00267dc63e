"""VM scale sets: scale to capacity 0 in off hours and back to the exact previous capacity.

The capacity to come back to is written as a tag on the scale set itself
(``offhours-saved-capacity``) and that update has finished before the capacity changes,
so a crash between the two steps loses nothing: the next run finds the scale set still
running and saves the same number again. Scaling up sets the saved capacity and removes the
tag in one update. A scale set at 0 with no saved tag is left alone (SKIPPED), never
guessed up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from providers.azure.common import PROVIDER, normalize_tags, parse_id, region
from providers.azure.connection import AzureConnection
from providers.azure.operations import (
    Pending,
    StillRunning,
    run_decisions,
    unsupported,
    wait_done,
)
from providers.azure.prices import fleet_price
from providers.base import (
    Action,
    AdapterOptions,
    Decision,
    Outcome,
    Resource,
    ResourceState,
    Result,
    Target,
    dry_run_results,
)

SAVED_CAPACITY_TAG = "offhours-saved-capacity"
_BUSY = {"creating", "updating", "deleting", "migrating"}


def saved_capacity(tags: Mapping[str, str] | None) -> int | None:
    value = normalize_tags(tags).get(SAVED_CAPACITY_TAG)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _without_saved(tags: Mapping[str, str] | None) -> dict[str, str]:
    return {k: v for k, v in (tags or {}).items() if k.lower() != SAVED_CAPACITY_TAG}


class ScaleSets:
    kind = "scale-sets"
    permissions = (
        "Microsoft.Compute/virtualMachineScaleSets/read",
        "Microsoft.Compute/virtualMachineScaleSets/write",
        "Microsoft.Compute/locations/operations/read",
    )

    def __init__(self, connection: AzureConnection, options: AdapterOptions) -> None:
        self.connection = connection
        self.options = options

    def discover(self, target: Target) -> list[Resource]:
        scale_sets = self.connection.compute(target.account).virtual_machine_scale_sets
        key = self.options.tag_key.lower()
        return [
            self._resource(target, vmss)
            for vmss in scale_sets.list_all()
            if key in normalize_tags(vmss.tags) and self.connection.in_scope(vmss.location)
        ]

    def _resource(self, target: Target, vmss: Any) -> Resource:
        capacity = int(vmss.sku.capacity or 0) if vmss.sku else 0
        size = (vmss.sku.name if vmss.sku else "") or ""
        saved = saved_capacity(vmss.tags)
        if (vmss.provisioning_state or "").lower() in _BUSY:
            state = ResourceState.TRANSITIONAL
        else:
            state = ResourceState.RUNNING if capacity > 0 else ResourceState.SCALED_DOWN
        tags = normalize_tags(vmss.tags)
        location = region(vmss.location)
        instances = capacity or saved or 0
        return Resource(
            provider=PROVIDER,
            account=target.account,
            region=location,
            kind=self.kind,
            id=vmss.id,
            name=vmss.name,
            tags=tags,
            state=state,
            size=size,
            price=fleet_price([(size, instances)], location, tags),
            off_state=ResourceState.SCALED_DOWN,
            service="Virtual Machine Scale Sets",
            extra={
                "capacity": str(capacity),
                "saved_capacity": "" if saved is None else str(saved),
            },
        )

    def apply(self, decisions: Sequence[Decision], dry_run: bool) -> Iterable[Result]:
        if dry_run:
            return dry_run_results(decisions, self.options.clock())
        return run_decisions(decisions, self._act, self.options, self.connection)

    def _act(self, decision: Decision) -> Pending | Result | str:
        if decision.action is Action.SCALE_DOWN:
            return self._scale_down(decision)
        if decision.action is Action.SCALE_UP:
            return self._scale_up(decision)
        return unsupported(decision, self.kind, self.options.clock())

    def _scale_down(self, decision: Decision) -> Pending | Result | str:
        from azure.mgmt.compute.models import Sku, VirtualMachineScaleSetUpdate

        ids = parse_id(decision.resource.id)
        ops = self.connection.compute(decision.resource.account).virtual_machine_scale_sets
        vmss = ops.get(ids.resource_group, ids.name)
        capacity = int(vmss.sku.capacity or 0)
        if capacity == 0:
            return "already at capacity 0"
        wait = {"polling_interval": self.connection.polling_interval}
        tags = {**_without_saved(vmss.tags), SAVED_CAPACITY_TAG: str(capacity)}
        save = ops.begin_update(
            ids.resource_group, ids.name, VirtualMachineScaleSetUpdate(tags=tags), **wait
        )
        try:
            wait_done(save, self.connection.lro_timeout, f"saving capacity tag on {ids.name}")
        except StillRunning as err:
            error = f"{err}: previous capacity not confirmed saved, left at {capacity}"
            return Result(decision, Outcome.FAILED, self.options.clock(), error=error)
        sku = Sku(name=vmss.sku.name, tier=vmss.sku.tier, capacity=0)
        poller = ops.begin_update(
            ids.resource_group, ids.name, VirtualMachineScaleSetUpdate(sku=sku), **wait
        )
        return Pending(poller, f"capacity {capacity} -> 0 (saved in tag {SAVED_CAPACITY_TAG})")

    def _scale_up(self, decision: Decision) -> Pending | Result:
        from azure.mgmt.compute.models import Sku, VirtualMachineScaleSetUpdate

        ids = parse_id(decision.resource.id)
        ops = self.connection.compute(decision.resource.account).virtual_machine_scale_sets
        vmss = ops.get(ids.resource_group, ids.name)
        saved = saved_capacity(vmss.tags)
        if saved is None:
            detail = f"no {SAVED_CAPACITY_TAG} tag: capacity left as it is"
            return Result(decision, Outcome.SKIPPED, self.options.clock(), detail=detail)
        current = int(vmss.sku.capacity or 0)
        update = VirtualMachineScaleSetUpdate(
            sku=Sku(name=vmss.sku.name, tier=vmss.sku.tier, capacity=saved),
            tags=_without_saved(vmss.tags),
        )
        poller = ops.begin_update(
            ids.resource_group, ids.name, update, polling_interval=self.connection.polling_interval
        )
        return Pending(poller, f"capacity {current} -> {saved}")
