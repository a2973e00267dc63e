"""Azure Machine Learning compute instances (GPU notebooks): stop and start by tag.

Raw ARM REST (``Microsoft.MachineLearningServices``, api-version 2024-04-01) through the
azure-core pipeline: list workspaces, list each workspace's computes, ``POST .../stop`` and
``POST .../start`` as long-running operations.

A compute instance takes the tags of its workspace under its own: tag the workspace
``schedule=office-hours`` and every notebook in it follows, while a compute's own tag
(``schedule=off``, another schedule) wins. Instances running a job (``JobRunning``) are
reported transitional so an off period never kills a training run; the next run after the
job stops them. Compute clusters (AmlCompute) scale to their minimum node count by
themselves and are reported unmanaged. A compute instance tagged ``idle-stop`` (itself or
through its workspace, with or without a schedule) is also judged by the idle rule through
the workspace's utilisation metrics (``providers/azure/ml_utilisation.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from providers.apply import AlreadyOff, Applier, Started
from providers.azure import ml_utilisation
from providers.azure.common import PROVIDER, normalize_tags, region
from providers.azure.connection import AzureConnection
from providers.azure.limits import ml_schedule_refusal
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
from providers.scopes import inherit, nest

API_VERSION = "2024-04-01"
NAMESPACE = "Microsoft.MachineLearningServices"
STATES = {
    "running": ResourceState.RUNNING,
    "stopped": ResourceState.STOPPED,
}  # every other state (Starting, Stopping, JobRunning, Creating, failed ones) is transitional


class MlComputeInstances(Applier[AzureConnection]):
    kind = "ml-compute"
    permissions = (
        "Microsoft.MachineLearningServices/workspaces/read",
        "Microsoft.MachineLearningServices/workspaces/computes/read",
        "Microsoft.MachineLearningServices/workspaces/computes/start/action",
        "Microsoft.MachineLearningServices/workspaces/computes/stop/action",
        "Microsoft.MachineLearningServices/locations/computeoperationsstatus/read",
        *ml_utilisation.PERMISSIONS,
        GROUPS_PERMISSION,
    )

    def discover(self, target: Target) -> list[Resource]:
        # The schedule tag or the idle tag alone (judged by the idle rule only).
        keys = (self.options.tag_key.lower(), self.options.idle_tag_key.lower())
        found = list(self._discover(target, keys))
        return ml_utilisation.mark_idle(self.connection, self.options, target, found)

    def inventory(self, target: Target) -> list[Resource]:
        """Every compute, tagged or not (the digest's opportunities)."""
        return list(self._discover(target, ()))

    def _discover(self, target: Target, keys: tuple[str, ...]) -> Iterator[Resource]:
        arm = self.connection.arm()
        workspaces = f"/subscriptions/{target.account}/providers/{NAMESPACE}/workspaces"
        listed = [
            w
            for w in arm.list(workspaces, API_VERSION)
            if self.connection.in_scope(w.get("location"))
        ]
        groups = self.connection.group_scopes(target.account) if listed else {}
        for workspace in listed:
            # The workspace is a scope inside its resource group's: its tags win over the group's.
            scope = nest(
                f"workspace {workspace.get('name', '')}",
                normalize_tags(workspace.get("tags")),
                scope_for(groups, str(workspace["id"])),
                self.options.tag_key.lower(),
            )
            for compute in arm.list(f"{workspace['id']}/computes", API_VERSION):
                tags, seen = inherit(normalize_tags(compute.get("tags")), scope)
                if not keys or any(key in tags for key in keys):
                    yield self._resource(target, workspace, compute, tags, seen)

    def _resource(
        self,
        target: Target,
        workspace: dict[str, Any],
        compute: dict[str, Any],
        tags: dict[str, str],
        scope: Scope | None,
    ) -> Resource:
        outer = compute.get("properties") or {}
        inner = outer.get("properties") or {}
        compute_type = str(outer.get("computeType", ""))
        raw_state = str(inner.get("state", ""))
        state = STATES.get(raw_state.lower(), ResourceState.TRANSITIONAL)
        location = region(compute.get("location") or workspace.get("location"))
        size = str(inner.get("vmSize", ""))
        unmanaged = ml_schedule_refusal(inner)
        if compute_type != "ComputeInstance":
            unmanaged = f"{compute_type or 'this compute'} scales to its minimum nodes by itself"
            state = ResourceState.RUNNING
        return Resource(
            provider=PROVIDER,
            account=target.account,
            region=location,
            kind=self.kind,
            id=str(compute["id"]),
            name=f"{workspace.get('name', '')}/{compute.get('name', '')}",
            tags=tags,
            state=state,
            size=size,
            price=vm_price(size, location, tags),
            started_at=_started_at(inner) if state is ResourceState.RUNNING else None,
            unmanaged_reason=unmanaged,
            service="Azure Machine Learning",
            accelerator=is_accelerated(size),
            extra={"compute_state": raw_state, "workspace": str(workspace.get("name", ""))},
            scope=scope,
        )

    def act(self, decisions: Sequence[Decision]) -> Iterable[Result]:
        handlers = {Action.STOP: self._stop, Action.START: self._start}
        return engine(self.kind, self.options).run(decisions, handlers, deadline(self.connection))

    def _stop(self, decision: Decision) -> Started:
        compute = self.connection.arm().get(decision.resource.id, API_VERSION)
        state = str(((compute.get("properties") or {}).get("properties") or {}).get("state", ""))
        if state.lower() in ("stopped", "stopping"):
            raise AlreadyOff(f"the compute instance is {state.lower()}")
        return self._post(decision, "stop", "stopped")

    def _start(self, decision: Decision) -> Started:
        return self._post(decision, "start", "started")

    def _post(self, decision: Decision, verb: str, detail: str) -> Started:
        poller = self.connection.arm().begin("POST", f"{decision.resource.id}/{verb}", API_VERSION)
        return Started(LroOperation(poller), detail)


def _started_at(inner: dict[str, Any]) -> datetime | None:
    last = inner.get("lastOperation") or {}
    if str(last.get("operationName", "")).lower() != "start":
        return None
    when = last.get("operationTime")
    try:
        return datetime.fromisoformat(str(when).replace("Z", "+00:00")) if when else None
    except ValueError:
        return None
