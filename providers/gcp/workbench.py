"""Vertex AI Workbench instances (Notebooks API v2): stop and start by schedule label.

Listed with ``locations/-`` (every zone in one paged call). The v2 list filter syntax is not
documented, so the label is matched here, on the client: a project holds few notebooks.
Stop/start return long-running operations, read until done or the apply's deadline:
``done`` once done without ``error``, ``failed`` with it, ``accepted`` while still running.

The v2 ``Instance.state`` enum (notebooks v2 discovery document, revision 20261006) is read
in full: ``ACTIVE`` runs, ``STOPPED`` is off; ``STARTING``, ``PROVISIONING``, ``STOPPING``,
``UPGRADING``, ``INITIALIZING`` and ``SUSPENDING`` are transitional (the next run decides);
``DELETED`` and ``STATE_UNSPECIFIED`` are not listed. Two are left alone with a reason
(``_LEFT_ALONE``): ``SUSPENDED``, because the API has no resume method (its ``start`` is
for a stopped instance) and offhours never suspends one, and ``ORPHANED``, an instance
with no VM after a failed upgrade.

An instance labelled ``idle-stop`` (with or without a schedule label) is also judged by the
idle rule through its VM's metrics (``providers/gcp/workbench_utilisation.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from providers.apply import AlreadyOff, Applier, Started
from providers.base import (
    Action,
    Decision,
    Resource,
    ResourceState,
    Result,
    Target,
)
from providers.gcp import project_labels, rest, workbench_utilisation
from providers.gcp.accelerators import is_accelerated
from providers.gcp.connection import GcpConnection
from providers.gcp.operations import LongRunning, engine
from providers.gcp.prices import machine_price
from providers.scopes import inherit

_STATES = {
    "ACTIVE": ResourceState.RUNNING,
    "STOPPED": ResourceState.STOPPED,
    "SUSPENDED": ResourceState.STOPPED,
}
_GONE = ("DELETED", "STATE_UNSPECIFIED")
_LEFT_ALONE = {
    "SUSPENDED": (
        "suspended outside offhours: the Notebooks API has no resume method, so offhours "
        "cannot bring it back; resume it from the Google Cloud console"
    ),
    "ORPHANED": (
        "orphaned: an upgrade removed its VM (the data disk is intact); retry the upgrade "
        "or roll it back, then offhours schedules it again"
    ),
}


class WorkbenchInstances(Applier[GcpConnection]):
    kind = "workbench"
    permissions = (
        "notebooks.instances.list",
        "notebooks.instances.stop",
        "notebooks.instances.start",
        "notebooks.operations.get",
        *workbench_utilisation.PERMISSIONS,
        project_labels.PERMISSION,
    )

    def discover(self, target: Target) -> Iterator[Resource]:
        keys = (self.options.tag_key, self.options.idle_tag_key)
        found = [r for r in self.inventory(target) if any(k in r.tags for k in keys)]
        yield from workbench_utilisation.mark_idle(self.connection, self.options, target, found)

    def inventory(self, target: Target) -> Iterator[Resource]:
        """Every instance, labelled or not (the digest's opportunities)."""
        base = self.connection.base_url("notebooks")
        url = f"{base}/projects/{target.account}/locations/-/instances"
        scope = project_labels.project_scope(self.connection, target.account)
        for instance in rest.paged(self.connection.session(), url, "instances", {"pageSize": 100}):
            if instance.get("state") not in _GONE:
                labels, seen = inherit(instance.get("labels", {}), scope)
                yield replace(self._resource(target.account, instance, labels), scope=seen)

    def _resource(self, project: str, instance: dict[str, Any], labels: dict[str, str]) -> Resource:
        zone = instance["name"].split("/")[3]
        region = zone.rsplit("-", 1)[0]
        setup = instance.get("gceSetup", {})
        machine_type = setup.get("machineType", "").rsplit("/", 1)[-1]
        gpus = {
            a["type"].lower().replace("_", "-"): int(a.get("coreCount", 1))
            for a in setup.get("acceleratorConfigs", [])
        }
        size = machine_type + "".join(f" + {n} x {g}" for g, n in sorted(gpus.items()))
        state = _STATES.get(instance.get("state", ""), ResourceState.TRANSITIONAL)
        return Resource(
            provider="gcp",
            account=project,
            region=region,
            kind=self.kind,
            id=instance["name"],
            name=instance["name"].rsplit("/", 1)[-1],
            tags=labels,
            state=state,
            size=size,
            price=machine_price(region, machine_type, gpus, labels),
            # Workbench has no "last started" time; updateTime moves on every start.
            started_at=_time(instance.get("updateTime"))
            if state is ResourceState.RUNNING
            else None,
            unmanaged_reason=_LEFT_ALONE.get(instance.get("state", ""), ""),
            service="Vertex AI Workbench",
            accelerator=is_accelerated(machine_type, gpus),
            extra={"zone": zone, "status": instance.get("state", ""), "machine_type": machine_type},
        )

    def act(self, decisions: Sequence[Decision]) -> Iterable[Result]:
        now = self._states([d for d in decisions if d.action is Action.STOP])
        handlers = {
            Action.STOP: self._verb("stop", now),
            Action.START: self._verb("start", {}),
        }
        return engine(self.kind, self.options).run(decisions, handlers, self.connection.deadline())

    def _states(self, stops: Sequence[Decision]) -> dict[str, str]:
        """Instance name -> state now, one listing per project, so a stop of what someone
        already stopped is told apart; unknown (empty) when the listing fails."""
        states: dict[str, str] = {}
        base = self.connection.base_url("notebooks")
        for project in sorted({d.resource.account for d in stops}):
            url = f"{base}/projects/{project}/locations/-/instances"
            try:
                listed = list(rest.paged(self.connection.session(), url, "instances"))
            except rest.GcpApiError:
                continue
            states.update((i["name"], str(i.get("state", ""))) for i in listed)
        return states

    def _verb(self, verb: str, states: Mapping[str, str]) -> Callable[[Decision], Started]:
        def act(decision: Decision) -> Started:
            state = states.get(decision.resource.id, "")
            if state in ("STOPPED", "STOPPING"):
                raise AlreadyOff(f"the instance is {state}")
            base = self.connection.base_url("notebooks")
            url = f"{base}/{decision.resource.id}:{verb}"
            operation = rest.call(self.connection.session(), "POST", url, body={})
            return Started(LongRunning(self.connection, base, operation), verb)

        return act


def _time(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        return None
