"""Azure virtual machines: stop means deallocate, start means start.

A VM that is only powered off (``PowerState/stopped``) keeps its hardware allocated and
still bills compute. offhours therefore has exactly one way to stop a VM, deallocation
(with ``hibernate=true`` when asked and the VM has hibernation enabled), and it reports a
powered-off VM as running, so an off period deallocates it. No code path powers a VM off
and the custom role does not grant ``powerOff/action``; tests check both.

Discovery is two paged calls per subscription, whatever the number of VMs: the Compute
API has no server-side tag filter, ``List All`` returns tags and sizes but no power state,
and ``List All`` with ``statusOnly=true`` returns power states but no tags. Joining the two
by id avoids one instance-view call per VM. (The Resources API's ``tagName`` filter could
narrow the first list, but it returns no power state and cannot be combined with a
resource-type filter, so it would not save the per-VM calls.)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from providers.apply import AlreadyOff, Applier, Started
from providers.azure import utilisation
from providers.azure.common import PROVIDER, normalize_tags, parse_id, region
from providers.azure.connection import AzureConnection
from providers.azure.limits import vm_refusal
from providers.azure.operations import LroOperation, deadline, engine
from providers.azure.prices import vm_price
from providers.azure.resource_groups import PERMISSION as GROUPS_PERMISSION
from providers.azure.resource_groups import scope_for
from providers.azure.sizes import is_accelerated
from providers.base import (
    Action,
    Decision,
    Resource,
    ResourceState,
    Result,
    Scope,
    Target,
)
from providers.scopes import inherit

# Power state (the part after ``PowerState/``) -> what offhours acts on.
POWER_STATES = {
    "running": ResourceState.RUNNING,
    # Powered off but still allocated: billing as if running, so the off period deallocates it.
    "stopped": ResourceState.RUNNING,
    "deallocated": ResourceState.STOPPED,
    "starting": ResourceState.TRANSITIONAL,
    "stopping": ResourceState.TRANSITIONAL,
    "deallocating": ResourceState.TRANSITIONAL,
}


class VirtualMachines(Applier[AzureConnection]):
    kind = "vms"
    permissions = (
        "Microsoft.Compute/virtualMachines/read",
        "Microsoft.Compute/virtualMachines/deallocate/action",
        "Microsoft.Compute/virtualMachines/start/action",
        "Microsoft.Compute/locations/operations/read",
        *utilisation.PERMISSIONS,
        GROUPS_PERMISSION,
    )

    def discover(self, target: Target) -> list[Resource]:
        # The schedule tag or the idle tag alone (judged by the idle rule only).
        keys = (self.options.tag_key.lower(), self.options.idle_tag_key.lower())
        found = self._list(target, keys)
        return utilisation.mark_idle(self.connection, self.options, target, found)

    def inventory(self, target: Target) -> list[Resource]:
        """Every VM, tagged or not (the digest's opportunities)."""
        return self._list(target, ())

    def _list(self, target: Target, keys: tuple[str, ...]) -> list[Resource]:
        vms = self.connection.compute(target.account).virtual_machines
        listed = [vm for vm in vms.list_all() if self.connection.in_scope(vm.location)]
        scopes = self.connection.group_scopes(target.account) if listed else {}
        tagged = []
        for vm in listed:
            tags, scope = inherit(normalize_tags(vm.tags), scope_for(scopes, vm.id))
            if not keys or any(key in tags for key in keys):
                tagged.append((vm, tags, scope))
        if not tagged:
            return []
        views = {vm.id.lower(): vm.instance_view for vm in vms.list_all(status_only="true")}
        return [
            self._resource(target, vm, views.get(vm.id.lower()), tags, scope)
            for vm, tags, scope in tagged
        ]

    def _resource(
        self, target: Target, vm: Any, view: Any, tags: dict[str, str], scope: Scope | None
    ) -> Resource:
        power, provisioned_at = power_state(view)
        state = POWER_STATES.get(power, ResourceState.TRANSITIONAL)
        size = vm.hardware_profile.vm_size if vm.hardware_profile else ""
        location = region(vm.location)
        capabilities = vm.additional_capabilities
        hibernation = bool(capabilities and capabilities.hibernation_enabled)
        return Resource(
            provider=PROVIDER,
            account=target.account,
            region=location,
            kind=self.kind,
            id=vm.id,
            name=vm.name,
            tags=tags,
            state=state,
            size=size or "",
            price=vm_price(size or "", location, tags),
            started_at=provisioned_at if power == "running" else None,
            unmanaged_reason=vm_refusal(vm),
            service="Virtual Machines",
            accelerator=is_accelerated(size or ""),
            extra={
                "power_state": power or "unknown",
                "hibernation": "true" if hibernation else "false",
            },
            scope=scope,
        )

    def act(self, decisions: Sequence[Decision]) -> Iterable[Result]:
        handlers = {Action.STOP: self._stop, Action.START: self._start}
        return engine(self.kind, self.options).run(decisions, handlers, deadline(self.connection))

    def _stop(self, decision: Decision) -> Started:
        resource = decision.resource
        ids = parse_id(resource.id)
        vms = self.connection.compute(resource.account).virtual_machines
        # Deallocating a deallocated VM succeeds: read the power state as it is now.
        vm = vms.get(ids.resource_group, ids.name, expand="instanceView")
        power, _ = power_state(vm.instance_view)
        if power in ("deallocated", "deallocating"):
            raise AlreadyOff(f"the VM is {power}")
        wait = {"polling_interval": self.connection.polling_interval}
        if decision.hibernate and resource.extra.get("hibernation") == "true":
            poller = vms.begin_deallocate(ids.resource_group, ids.name, hibernate=True, **wait)
            return Started(LroOperation(poller), "hibernated (deallocated)")
        poller = vms.begin_deallocate(ids.resource_group, ids.name, **wait)
        return Started(LroOperation(poller), _deallocate_detail(decision))

    def _start(self, decision: Decision) -> Started:
        ids = parse_id(decision.resource.id)
        vms = self.connection.compute(decision.resource.account).virtual_machines
        poller = vms.begin_start(
            ids.resource_group, ids.name, polling_interval=self.connection.polling_interval
        )
        return Started(LroOperation(poller), "started")


def _deallocate_detail(decision: Decision) -> str:
    notes = ["deallocated"]
    if decision.resource.extra.get("power_state") == "stopped":
        notes.append("it was powered off but still allocated (billing)")
    if decision.hibernate:
        notes.append("hibernation is not enabled on this VM")
    return "; ".join(notes)


def power_state(view: Any) -> tuple[str, datetime | None]:
    """``("running" | "deallocated" | ..., time of the last provisioning change)``.

    The provisioning time is when the VM's last operation finished: for a running VM, the
    start (or any later update), which offhours uses as ``started_at`` for the grace period.
    """
    power, provisioned_at = "", None
    for status in (view.statuses if view else None) or []:
        code = (status.code or "").lower()
        if code.startswith("powerstate/"):
            power = code.partition("/")[2]
        elif code.startswith("provisioningstate/"):
            provisioned_at = status.time
    return power, provisioned_at
