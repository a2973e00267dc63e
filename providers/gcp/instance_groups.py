"""Managed instance groups: resize to 0 and back to the exact previous size.

MIGs carry no labels of their own, so the schedule is read from the labels of the group's
instance template (``properties.labels``): label the template, and every MIG built from it
follows the schedule. The previous size is saved to the restore store (``providers/restore.py``)
and read back *before* the resize to 0, and a group is never resized down when that save
failed.

Autoscaled groups are reported as unmanaged: the autoscaler would undo a resize. Stateful
groups too: a resize to 0 deletes what they preserve (``mig_members.STATEFUL``).

A resize is ``done`` once its operation is DONE *and* ``listManagedInstances`` shows the
members created or deleted (``mig_members``): the operation alone only says the actions
were scheduled. It is ``accepted`` while either is still under way at the apply's
deadline (the group is then transitional until it is stable again), ``failed`` with the
operation's error otherwise. The saved size is deleted only after a resize back that is
done, members and all.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from providers.apply import NO_SAVED_SIZE, AlreadyOff, Refused, Started
from providers.base import (
    Action,
    Decision,
    Resource,
    ResourceState,
    Result,
    Target,
)
from providers.gcp.accelerators import is_accelerated
from providers.gcp.connection import GcpConnection
from providers.gcp.mig_members import MemberConfirmed, stateful_reason, unstable
from providers.gcp.operations import ComputeOperation, engine
from providers.gcp.prices import machine_price, scaled
from providers.restore import ScalesToZero
from providers.store import StoreError


class ManagedInstanceGroups(ScalesToZero[GcpConnection]):
    kind = "instance-groups"
    permissions = (
        "compute.instanceGroupManagers.list",
        "compute.instanceGroupManagers.get",
        "compute.instanceGroupManagers.update",
        "compute.instanceTemplates.get",
        "compute.zoneOperations.get",
        "compute.regionOperations.get",
    )

    # ---- discover ---------------------------------------------------------------------------
    def discover(self, target: Target) -> Iterator[Resource]:
        for resource in self._groups(target):
            if self.options.tag_key in resource.tags:
                yield resource

    def inventory(self, target: Target) -> Iterator[Resource]:
        """Every group, whatever its template's labels (the digest's opportunities)."""
        yield from self._groups(target)

    def _groups(self, target: Target) -> Iterator[Resource]:
        client = self.connection.compute("InstanceGroupManagersClient")
        templates: dict[str, Any] = {}
        request = {"project": target.account, "max_results": 500}
        for _scope, scoped in client.aggregated_list(request=request):
            for mig in scoped.instance_group_managers:
                url = mig.instance_template
                if url not in templates:
                    templates[url] = self._template(target.account, url)
                template = templates[url]
                if template is not None:
                    yield self._resource(target.account, mig, template)

    def _template(self, project: str, url: str) -> Any:
        """The instance template a MIG is built from (global or regional); None if unset."""
        if not url:
            return None
        parts = url.split("/projects/", 1)[-1].split("/")  # P/global|regions/R/instanceTemplates/N
        if parts[1] == "regions":
            client = self.connection.compute("RegionInstanceTemplatesClient")
            return client.get(project=parts[0], region=parts[2], instance_template=parts[-1])
        client = self.connection.compute("InstanceTemplatesClient")
        return client.get(project=parts[0], instance_template=parts[-1])

    def _resource(self, project: str, mig: Any, template: Any) -> Resource:
        scope = f"zones/{_last(mig.zone)}" if mig.zone else f"regions/{_last(mig.region)}"
        location = scope.split("/", 1)[1]
        region = location if scope.startswith("regions/") else location.rsplit("-", 1)[0]
        labels = dict(template.properties.labels)
        machine_type = _last(template.properties.machine_type)
        resource = Resource(
            provider="gcp",
            account=project,
            region=region,
            kind=self.kind,
            id=f"projects/{project}/{scope}/instanceGroupManagers/{mig.name}",
            name=mig.name,
            tags=labels,
            state=_state(mig),
            size=f"{mig.target_size} x {machine_type}",
            unmanaged_reason=_unmanaged_reason(mig),
            off_state=ResourceState.SCALED_DOWN,
            service="Compute Engine",
            extra={
                "scope": scope,
                "target_size": str(mig.target_size),
                "machine_type": machine_type,
            },
        )
        gpus = {
            _last(g.accelerator_type): g.accelerator_count
            for g in template.properties.guest_accelerators
        }
        unit = machine_price(region, machine_type, gpus, labels)
        count = mig.target_size or self._saved_size(resource)
        return replace(
            resource,
            price=scaled(unit, count) if count else None,
            accelerator=is_accelerated(machine_type, gpus),
        )

    def _saved_size(self, resource: Resource) -> int:
        """For a group at 0: the size it will come back to (prices the avoided hours)."""
        try:
            data = self.restore.load(resource)
        except StoreError:
            return 0
        return int(data.get("previous_size", 0)) if data else 0

    # ---- apply ------------------------------------------------------------------------------
    def act(self, decisions: Sequence[Decision]) -> Iterable[Result]:
        handlers = {Action.SCALE_DOWN: self._scale_down, Action.SCALE_UP: self._scale_up}
        return engine(self.kind, self.options).run(decisions, handlers, self.connection.deadline())

    def _scale_down(self, decision: Decision) -> Started:
        resource = decision.resource
        size = self._size_now(resource)
        if size == 0:
            raise AlreadyOff("the group is at size 0")
        # Saved and read back first: without it the group is not resized.
        self.restore.save(resource, {"previous_size": size}, self.options.clock())
        return Started(self._resize(resource, 0), f"resized {size} -> 0")

    def _scale_up(self, decision: Decision) -> Started:
        resource = decision.resource
        size = int(self.restore.require(resource).get("previous_size", 0))
        if size <= 0:
            raise Refused(f"{NO_SAVED_SIZE} (saved size is {size})")
        return Started(
            self._resize(resource, size),
            f"resized 0 -> {size}",
            lambda: self.restore.forget_noted(resource, "saved size"),
        )

    def _size_now(self, resource: Resource) -> int:
        """The group's target size as it is now, not as discovery saw it."""
        project, scope, _, name = _parts(resource.id)
        where, location = scope.split("/", 1)
        request = {"project": project, where[:-1]: location, "filter": f'name = "{name}"'}
        client = self.connection.compute(
            "RegionInstanceGroupManagersClient"
            if where == "regions"
            else "InstanceGroupManagersClient"
        )
        listed = client.list(request=request)
        for mig in listed:
            if mig.name == name:
                return int(mig.target_size)
        raise Refused(f"managed instance group {name} no longer exists")

    def _resize(self, resource: Resource, size: int) -> MemberConfirmed:
        project, scope, _, name = _parts(resource.id)
        where, location = scope.split("/", 1)
        if where == "regions":
            client = self.connection.compute("RegionInstanceGroupManagersClient")
            operation = client.resize_unary(
                project=project, region=location, instance_group_manager=name, size=size
            )
        else:
            client = self.connection.compute("InstanceGroupManagersClient")
            operation = client.resize_unary(
                project=project, zone=location, instance_group_manager=name, size=size
            )
        resize = ComputeOperation(self.connection, operation)
        return MemberConfirmed(self.connection, resize, resource.id, size)


def _state(mig: Any) -> ResourceState:
    if unstable(mig):  # members still being created or deleted: the next run decides
        return ResourceState.TRANSITIONAL
    return ResourceState.RUNNING if mig.target_size else ResourceState.SCALED_DOWN


def _unmanaged_reason(mig: Any) -> str:
    if mig.status.autoscaler:
        return f"autoscaled by {_last(mig.status.autoscaler)}: a resize would be undone"
    return stateful_reason(mig)


def _parts(resource_id: str) -> tuple[str, str, str, str]:
    """``projects/P/zones/Z/instanceGroupManagers/N`` -> (P, "zones/Z", kind, N)."""
    parts = resource_id.split("/")
    return parts[1], f"{parts[2]}/{parts[3]}", parts[4], parts[5]


def _last(url: str) -> str:
    return url.rsplit("/", 1)[-1]
