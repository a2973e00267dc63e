"""Compute Engine VMs: discover by schedule label, stop (or suspend) and start (or resume).

Discovery is one ``instances.aggregatedList`` per project with the labels filtered on the
server (``(labels.<schedule>:*) OR (labels.<idle-stop>:*)``: a VM with only the idle label
is judged by the idle rule alone), 500 per page. Compute Engine has no batch stop, so each action is
one ``*_unary`` call through the apply engine (``providers/apply.py``), which reads each
operation until it is done or the apply's deadline passes: ``done`` when it finished
cleanly, ``failed`` with its error, ``accepted`` while it still runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime
from functools import partial
from typing import Any

from providers.apply import AlreadyOff, Applier, Handler, Started
from providers.base import (
    Action,
    Decision,
    Resource,
    ResourceState,
    Result,
    Scope,
    Target,
)
from providers.gcp import calls, gpu_processes, instance_schedules, project_labels, utilisation
from providers.gcp.accelerators import is_accelerated
from providers.gcp.connection import GcpConnection
from providers.gcp.local_ssd import local_ssd_count, refusal
from providers.gcp.operations import ComputeOperation, engine
from providers.gcp.prices import machine_price
from providers.scopes import inherit, lists_everything

_STATES = {
    "RUNNING": ResourceState.RUNNING,
    "TERMINATED": ResourceState.STOPPED,
    "STOPPED": ResourceState.STOPPED,
    "SUSPENDED": ResourceState.STOPPED,
}
_OFF = ("TERMINATED", "STOPPED", "STOPPING", "SUSPENDED", "SUSPENDING")
# Labels Google sets on VMs that another service owns: stopping them by hand fights it.
_OWNED_BY = {
    "goog-gke-node": "a GKE node",
    "goog-dataproc-cluster-name": "a Dataproc cluster node",
    "goog-workbench-instance": "a Vertex AI Workbench instance (use the workbench kind)",
    "goog-caip-notebook": "a Vertex AI Workbench instance (use the workbench kind)",
}


class GceInstances(Applier[GcpConnection]):
    kind = "instances"
    permissions = (
        "compute.instances.list",
        "compute.instances.stop",
        "compute.instances.start",
        "compute.instances.suspend",
        "compute.instances.resume",
        "compute.zoneOperations.get",
        "compute.resourcePolicies.list",
        *utilisation.PERMISSIONS,
        project_labels.PERMISSION,
    )

    page_size = 500  # the API's maximum

    def discover(self, target: Target) -> Iterator[Resource]:
        scope = project_labels.project_scope(self.connection, target.account)
        key = self.options.tag_key
        # A project labelled with the schedule schedules every VM in it: list them all.
        # Compute list filters take OR between parenthesised expressions (instances.list,
        # ``filter``: https://cloud.google.com/compute/docs/reference/rest/v1/instances/list).
        either = f"(labels.{key}:*) OR (labels.{self.options.idle_tag_key}:*)"
        label_filter = "" if lists_everything(scope, key) else either
        found = list(self._list(target, label_filter, scope))
        judged = utilisation.mark_idle(self.connection, self.options, target, found)
        yield from gpu_processes.name_work(self.connection, self.options, target, judged)

    def inventory(self, target: Target) -> Iterator[Resource]:
        """Every VM, labelled or not (the digest's opportunities)."""
        scope = project_labels.project_scope(self.connection, target.account)
        yield from self._list(target, "", scope)

    def _list(self, target: Target, label_filter: str, scope: Scope | None) -> Iterator[Resource]:
        client = self.connection.compute("InstancesClient")
        request: dict[str, Any] = {"project": target.account, "max_results": self.page_size}
        if label_filter:
            request["filter"] = label_filter
        pages = client.aggregated_list(request=request)
        listed = [instance for _scope, scoped in pages for instance in scoped.instances]
        schedules = self._schedules(target.account, listed)
        for instance in listed:
            yield self._resource(target.account, instance, schedules, scope)

    def _schedules(self, project: str, listed: Sequence[Any]) -> AbstractSet[str] | None:
        """The project's instance schedules, read only when some VM has a resource policy
        (most have none); None when they cannot be read (those VMs are then left alone)."""
        if not any(i.resource_policies for i in listed):
            return frozenset()
        try:
            return instance_schedules.schedule_policies(self.connection, project)
        except calls.API_ERRORS:
            return None

    def act(self, decisions: Sequence[Decision]) -> Iterable[Result]:
        now = self._statuses([d for d in decisions if d.action is Action.STOP])
        handlers: dict[Action, Handler] = {
            Action.STOP: partial(self._stop, statuses=now),
            Action.START: self._start,
        }
        return engine(self.kind, self.options).run(decisions, handlers, self.connection.deadline())

    def _statuses(self, stops: Sequence[Decision]) -> dict[str, str]:
        """Instance id -> status now, one listing per zone: stopping a stopped VM succeeds
        without a word, so what is already off is told apart before the call. Unknown
        (empty) when the listing fails: the stop is made as planned."""
        client = self.connection.compute("InstancesClient")
        statuses: dict[str, str] = {}
        for project, zone in sorted({_parts(d.resource.id)[:2] for d in stops}):
            try:
                for instance in client.list(project=project, zone=zone):
                    key = f"projects/{project}/zones/{zone}/instances/{instance.name}"
                    statuses[key] = instance.status
            except calls.API_ERRORS:
                continue
        return statuses

    # ---- apply ------------------------------------------------------------------------------
    def _start(self, decision: Decision) -> Started:
        verb = "resume" if decision.resource.extra.get("status") == "SUSPENDED" else "start"
        return self._call(decision.resource, verb)

    def _stop(self, decision: Decision, statuses: Mapping[str, str]) -> Started:
        resource = decision.resource
        status = statuses.get(resource.id, "")
        if status in _OFF:
            raise AlreadyOff(f"the instance is {status}")
        if not decision.hibernate:
            return self._call(resource, "stop")
        if resource.extra.get("gpus"):
            return self._call(resource, "stop", "suspend is not supported with GPUs attached")
        try:
            return self._call(resource, "suspend")
        except calls.CLIENT_ERRORS as err:
            return self._call(resource, "stop", f"suspend refused ({calls.error_text(err)})")

    def _call(self, resource: Resource, verb: str, refused: str = "") -> Started:
        project, zone, name = _parts(resource.id)
        client = self.connection.compute("InstancesClient")
        method = getattr(client, f"{verb}_unary")
        request: dict[str, Any] = {"project": project, "zone": zone, "instance": name}
        if verb in ("stop", "suspend") and resource.extra.get("local_ssd"):
            # Discovery let this VM through only with the owner's opt-in label.
            request["discard_local_ssd"] = True
        operation = method(request=request)
        detail = f"{verb}: {refused}: stopped instead" if refused else verb
        if "discard_local_ssd" in request:
            detail += " (Local SSD data discarded)"
        return Started(ComputeOperation(self.connection, operation), detail)

    # ---- discover ---------------------------------------------------------------------------
    def _resource(
        self,
        project: str,
        instance: Any,
        schedules: AbstractSet[str] | None = frozenset(),
        scope: Scope | None = None,
    ) -> Resource:
        zone = _last(instance.zone)
        region = zone.rsplit("-", 1)[0]
        labels, scope = inherit(dict(instance.labels), scope)
        machine_type = _last(instance.machine_type)
        gpus = {_last(g.accelerator_type): g.accelerator_count for g in instance.guest_accelerators}
        metadata = {item.key: item.value for item in instance.metadata.items}
        local_ssds = local_ssd_count(instance)
        return Resource(
            provider="gcp",
            account=project,
            region=region,
            kind=self.kind,
            id=f"projects/{project}/zones/{zone}/instances/{instance.name}",
            name=instance.name,
            tags=labels,
            state=_STATES.get(instance.status, ResourceState.TRANSITIONAL),
            size=machine_type,
            price=machine_price(region, machine_type, gpus, labels),
            started_at=_timestamp(instance.last_start_timestamp),
            unmanaged_reason=_unmanaged_reason(labels, metadata)
            or refusal(local_ssds, labels)
            or instance_schedules.refusal(instance.resource_policies, schedules),
            service="Compute Engine",
            accelerator=is_accelerated(machine_type, gpus),
            extra={
                "zone": zone,
                "instance_id": str(instance.id),
                "status": instance.status,
                "gpus": ",".join(f"{k}x{v}" for k, v in sorted(gpus.items())),
                "local_ssd": str(local_ssds) if local_ssds else "",
            },
            scope=scope,
        )


def _unmanaged_reason(labels: Mapping[str, str], metadata: Mapping[str, str]) -> str:
    created_by = metadata.get("created-by", "")
    if "/instanceGroupManagers/" in created_by:
        return (
            f"member of managed instance group {_last(created_by)}: "
            "schedule the group (its instance template's labels) instead"
        )
    for label, owner in _OWNED_BY.items():
        if label in labels:
            return f"managed by {owner}"
    return ""


def _parts(resource_id: str) -> tuple[str, str, str]:
    """``projects/P/zones/Z/instances/N`` -> (P, Z, N)."""
    parts = resource_id.split("/")
    return parts[1], parts[3], parts[5]


def _last(url: str) -> str:
    return url.rsplit("/", 1)[-1]


def _timestamp(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
