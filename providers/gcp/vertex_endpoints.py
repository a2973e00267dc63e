"""Idle Vertex AI endpoints: undeploy their models when nobody calls them, redeploy later.

Opt-in by label, as SageMaker endpoints: the schedule label (off periods scale it down)
or ``idle-stop=60m`` (``s``/``m``/``h``/``d``). For the latter, discover counts online
predictions over that window (Cloud Monitoring,
``aiplatform.googleapis.com/prediction/online/prediction_count``); an endpoint with none,
whose models were all deployed before the window began, is ``idle`` and the planner may
scale it down. The list filter has no ``OR``: one filtered listing per label.

SCALE_DOWN saves every deployed model's full spec (dedicated resources, model version,
...) and the traffic split to the state store, reads it back, and only then undeploys.
SCALE_UP redeploys each model from the saved spec *without* its old id: a caller-supplied
``DeployedModel.id`` "should be 1-10 characters, /[0-9]/" (aiplatform v1 discovery
document) and the ids Vertex generates are 19 digits, so the old one cannot be sent back.
Vertex assigns a new id (read from each deploy operation's response); the saved models are
tracked by their model and version (``model_key``), and the saved traffic split is restored
with the last deploy, its old ids mapped to the new ones. The saved spec is deleted once
the deploy operations are done. An endpoint with a saved spec whose models are not all
deployed (none, or a redeploy that stopped part-way) is discovered as SCALED_DOWN, so the
next run redeploys the rest; TRANSITIONAL while one of its deploy operations still runs
(``endpoints.operations.list``), so nothing is deployed twice.

Each undeploy/deploy operation is read until done before the next one starts (the traffic
split of one depends on the other), up to the apply's deadline: the action is ``done``
when the last operation is, ``failed`` with the first operation error, and ``accepted``
when one is still running at the deadline (the run stops there; the next one goes on).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from providers.apply import NO_SAVED_SIZE, AlreadyOff, Deadline, Refused, Settled
from providers.base import (
    Action,
    Decision,
    Outcome,
    Price,
    Resource,
    ResourceState,
    Result,
    Target,
)
from providers.gcp import project_labels, rest
from providers.gcp.accelerators import is_accelerated
from providers.gcp.connection import GcpConnection
from providers.gcp.operations import LongRunning, engine
from providers.gcp.prices import scaled, vertex_node_price
from providers.prices import price_from_tag
from providers.restore import ScalesToZero
from providers.scopes import inherit, lists_everything
from providers.store import StoreError

METRIC = "aiplatform.googleapis.com/prediction/online/prediction_count"
# DeployedModel fields the service sets, and the id it assigns: dropped before a redeploy.
_OUTPUT_ONLY = ("id", "createTime", "modelVersionId", "privateEndpoints", "status")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
Json = dict[str, Any]


class VertexEndpoints(ScalesToZero[GcpConnection]):
    kind = "vertex-endpoints"
    permissions = (
        "aiplatform.endpoints.list",
        "aiplatform.endpoints.get",
        "aiplatform.endpoints.deploy",
        "aiplatform.endpoints.undeploy",
        "aiplatform.models.deploy",
        "aiplatform.operations.list",
        "monitoring.timeSeries.list",
        project_labels.PERMISSION,
    )

    # ---- discover ---------------------------------------------------------------------------
    def discover(self, target: Target) -> Iterator[Resource]:
        seen: set[str] = set()
        scope = project_labels.project_scope(self.connection, target.account)
        labels = dict.fromkeys((self.options.tag_key, self.options.idle_tag_key))
        # A project labelled with the schedule schedules every endpoint in it: list them all.
        wanted = [""] if lists_everything(scope, self.options.tag_key) else labels
        for label in wanted:
            label_filter = f"labels.{label}:*" if label else ""
            for region, endpoint in self._endpoints(target, label_filter):
                if endpoint["name"] not in seen:
                    seen.add(endpoint["name"])
                    merged, within = inherit(endpoint.get("labels", {}), scope)
                    found = self._resource(target.account, region, {**endpoint, "labels": merged})
                    yield _replace(found, scope=within)

    def inventory(self, target: Target) -> Iterator[Resource]:
        """Every endpoint, labelled or not, as it is (the digest's opportunities)."""
        for region, endpoint in self._endpoints(target, ""):
            yield self._plain(target.account, region, endpoint)

    def _endpoints(self, target: Target, label_filter: str) -> Iterator[tuple[str, Json]]:
        session = self.connection.session()
        for region in self.connection.regions:
            base = self.connection.base_url("aiplatform", region)
            url = f"{base}/projects/{target.account}/locations/{region}/endpoints"
            params: dict[str, str | int] = {"pageSize": 100}
            if label_filter:
                params["filter"] = label_filter
            try:
                endpoints = list(rest.paged(session, url, "endpoints", params))
            except rest.GcpApiError as err:
                if err.code == 404:  # Vertex AI is not offered in this region
                    continue
                raise
            for endpoint in endpoints:
                yield region, endpoint

    def _plain(self, project: str, region: str, endpoint: Json) -> Resource:
        labels = endpoint.get("labels", {})
        models = endpoint.get("deployedModels", [])
        specs = [m.get("dedicatedResources", {}).get("machineSpec", {}) for m in models]
        return Resource(
            provider="gcp",
            account=project,
            region=region,
            kind=self.kind,
            id=endpoint["name"],
            name=endpoint.get("displayName") or endpoint["name"].rsplit("/", 1)[-1],
            tags=labels,
            state=ResourceState.RUNNING,
            size=_size(models),
            price=_price(region, models, labels),
            off_state=ResourceState.SCALED_DOWN,
            service="Vertex AI",
            accelerator=any(
                is_accelerated(s.get("machineType", ""), [s.get("acceleratorType", "")])
                for s in specs
            ),
        )

    def _resource(self, project: str, region: str, endpoint: Json) -> Resource:
        resource = self._plain(project, region, endpoint)
        labels = endpoint.get("labels", {})
        models = endpoint.get("deployedModels", [])
        label = self.options.idle_tag_key
        window = parse_window(labels[label]) if label in labels else 0
        if window is None:
            reason = f"{label} label {labels.get(label)!r} is not a duration like 60m or 2h"
            return _replace(resource, unmanaged_reason=reason)
        if not models or self._partly_back(resource, models):
            return self._undeployed(resource, region, labels)
        if not window:  # on its schedule only: nothing to measure
            return resource
        idle, note = self._idle(project, endpoint, models, window)
        return _replace(resource, idle=idle, extra={"window": f"{window}s", "predictions": note})

    def _undeployed(self, resource: Resource, region: str, labels: Mapping[str, str]) -> Resource:
        try:
            spec = self.restore.load(resource)
        except StoreError as err:
            return _replace(resource, unmanaged_reason=f"saved deployment unreadable: {err}")
        if not spec:
            return _replace(resource, unmanaged_reason="no deployed models and no saved deployment")
        models = spec.get("deployedModels", [])
        # A redeploy still running shows no model yet: the next run decides.
        state = (
            ResourceState.TRANSITIONAL if self._deploying(resource) else ResourceState.SCALED_DOWN
        )
        return _replace(
            resource,
            state=state,
            size=_size(models),
            price=_price(region, models, labels),
        )

    def _partly_back(self, resource: Resource, models: list[Json]) -> bool:
        """Whether a saved spec still has models to redeploy (a redeploy that stopped
        part-way); a saved spec whose models are all back is stale and forgotten."""
        try:
            spec = self.restore.load(resource)
            saved = spec.get("deployedModels", []) if spec else []
            if spec and len(redeployed(saved, models)) == len(saved):
                self.restore.forget(resource)
                return False
        except StoreError:
            return False
        return bool(saved)

    def _deploying(self, resource: Resource) -> bool:
        """A deploy of this endpoint is still running (its model is not listed until done)."""
        url = f"{self._base(resource)}/{resource.id}/operations"
        for operation in rest.paged(self.connection.session(), url, "operations", {}):
            kind = str(operation.get("metadata", {}).get("@type", ""))
            if not operation.get("done") and kind.endswith(".DeployModelOperationMetadata"):
                return True
        return False

    def _idle(
        self, project: str, endpoint: Json, models: list[Json], window: int
    ) -> tuple[bool, str]:
        now = self.options.clock()
        start = now - timedelta(seconds=window)
        if any(_time(m.get("createTime")) > start for m in models):
            return False, "deployed within the idle window"
        count = self._predictions(project, endpoint["name"].rsplit("/", 1)[-1], start, now, window)
        return count == 0, str(count)

    def _predictions(
        self, project: str, endpoint_id: str, start: datetime, end: datetime, window: int
    ) -> int:
        url = f"{self.connection.base_url('monitoring')}/projects/{project}/timeSeries"
        params = {
            "filter": (
                f'metric.type = "{METRIC}" AND resource.type = "aiplatform.googleapis.com/Endpoint"'
                f' AND resource.labels.endpoint_id = "{endpoint_id}"'
            ),
            "interval.startTime": _rfc3339(start),
            "interval.endTime": _rfc3339(end),
            # One bucket over the whole window (Monitoring wants at least 60 s).
            "aggregation.alignmentPeriod": f"{max(window, 60)}s",
            "aggregation.perSeriesAligner": "ALIGN_SUM",
            "aggregation.crossSeriesReducer": "REDUCE_SUM",
        }
        total = 0.0
        for series in rest.paged(self.connection.session(), url, "timeSeries", params):
            for point in series.get("points", []):
                value = point.get("value", {})
                total += float(value.get("int64Value") or value.get("doubleValue") or 0)
        return int(total)

    # ---- apply ------------------------------------------------------------------------------
    def act(self, decisions: Sequence[Decision]) -> Iterable[Result]:
        deadline = self.connection.deadline()
        handlers = {
            Action.SCALE_DOWN: partial(self._scale_down, deadline=deadline),
            Action.SCALE_UP: partial(self._scale_up, deadline=deadline),
        }
        return engine(self.kind, self.options).run(decisions, handlers, deadline)

    def _scale_down(self, decision: Decision, deadline: Deadline) -> Settled:
        resource = decision.resource
        endpoint = self._get(resource)
        models = endpoint.get("deployedModels", [])
        if not models:
            raise AlreadyOff("no deployed models")
        spec = _merge(self.restore.load(resource), endpoint)
        # Saved and read back first: without it nothing is undeployed.
        self.restore.save(resource, spec, self.options.clock())
        split = endpoint.get("trafficSplit", {})
        # The model with the most traffic goes last; the others hand their share to it first.
        last = max(models, key=lambda m: int(split.get(m["id"], 0)))
        for model in [*(m for m in models if m is not last), last]:
            body: Json = {"deployedModelId": model["id"]}
            if model is not last:
                body["trafficSplit"] = {last["id"]: 100}
            settled = self._run(resource, "undeployModel", body, deadline)
            if settled.outcome is not Outcome.DONE:
                detail = f"undeploying {model['id']}: {settled.detail}; stopped there"
                return replace(settled, detail=detail)
        ids = ", ".join(m["id"] for m in models)
        return Settled(Outcome.DONE, f"undeployed {ids}")

    def _scale_up(self, decision: Decision, deadline: Deadline) -> Settled:
        resource = decision.resource
        spec = self.restore.require(resource)
        if not spec.get("deployedModels"):
            raise Refused(f"{NO_SAVED_SIZE} (the saved deployment has no models)")
        # Saved id -> id now, for the models already back (an earlier, unfinished redeploy).
        ids = redeployed(spec["deployedModels"], self._get(resource).get("deployedModels", []))
        todo = [m for m in spec["deployedModels"] if m["id"] not in ids]
        saved_split = {k: int(v) for k, v in spec.get("trafficSplit", {}).items()}
        for i, model in enumerate(todo):
            body: Json = {"deployedModel": redeployable(model)}
            if i == len(todo) - 1 and saved_split:  # the last deploy sets the whole split
                body["trafficSplit"] = {
                    "0" if old == model["id"] else ids[old]: share
                    for old, share in saved_split.items()
                    if old == model["id"] or old in ids
                }
            settled, response = self._deploy(resource, body, deadline)
            if settled.outcome is not Outcome.DONE:
                detail = f"deploying {model['id']}: {settled.detail}; saved spec kept"
                return replace(settled, detail=detail)
            ids[model["id"]] = str(response.get("deployedModel", {}).get("id", ""))
        self.restore.forget(resource)
        split = {ids[k]: v for k, v in saved_split.items() if k in ids}
        restored = ", ".join(f"{m['id']} as {ids[m['id']]}" for m in todo)
        return Settled(
            Outcome.DONE, f"redeployed {restored or 'nothing (already deployed)'}; split {split}"
        )

    # ---- REST -------------------------------------------------------------------------------
    def _base(self, resource: Resource) -> str:
        return self.connection.base_url("aiplatform", resource.region)

    def _get(self, resource: Resource) -> Json:
        return rest.call(self.connection.session(), "GET", f"{self._base(resource)}/{resource.id}")

    def _deploy(self, resource: Resource, body: Json, deadline: Deadline) -> tuple[Settled, Json]:
        """``deployModel``, read until done: its response carries the id Vertex assigned."""
        url = f"{self._base(resource)}/{resource.id}:deployModel"
        operation = rest.call(self.connection.session(), "POST", url, body=body)
        running = LongRunning(self.connection, self._base(resource), operation)
        return running.settle_with_response(deadline)

    def _run(self, resource: Resource, verb: str, body: Json, deadline: Deadline) -> Settled:
        """Start ``verb`` on the endpoint and read its operation until done or the deadline."""
        url = f"{self._base(resource)}/{resource.id}:{verb}"
        operation = rest.call(self.connection.session(), "POST", url, body=body)
        return LongRunning(self.connection, self._base(resource), operation).settle(deadline)


def parse_window(text: str) -> int | None:
    """``60m`` -> 3600 seconds; None when the label is not a positive duration."""
    match = re.fullmatch(r"(\d+)([smhd])", text.strip().lower())
    if not match or int(match.group(1)) == 0:
        return None
    return int(match.group(1)) * _UNITS[match.group(2)]


def model_key(model: Json) -> str:
    """What a deployed model is across redeploys (its id is not): model and version."""
    name, _, version = str(model.get("model", "")).partition("@")
    return f"{name}@{model.get('modelVersionId') or version}"


def redeployed(saved: list[Json], deployed: list[Json]) -> dict[str, str]:
    """Saved id -> deployed id, for each saved model found deployed (by ``model_key``)."""
    free = list(deployed)
    found: dict[str, str] = {}
    for model in saved:
        match = next((m for m in free if model_key(m) == model_key(model)), None)
        if match is not None:
            free.remove(match)
            found[model["id"]] = match["id"]
    return found


def redeployable(model: Json) -> Json:
    """A saved DeployedModel as a deployModel request wants it: the same model version,
    no id (Vertex assigns one; its own are 19 digits, a caller's may have 1-10)."""
    spec = {k: v for k, v in model.items() if k not in _OUTPUT_ONLY}
    version = model.get("modelVersionId")
    if version and "@" not in spec.get("model", ""):
        spec["model"] = f"{spec['model']}@{version}"
    return spec


def _merge(previous: Json | None, endpoint: Json) -> Json:
    """What to save: the deployed models now, plus any a failed earlier scale-down already
    undeployed (their spec would otherwise be lost), and the split from before it all."""
    models = list(endpoint.get("deployedModels", []))
    split = dict(endpoint.get("trafficSplit", {}))
    if previous:
        current = {m["id"] for m in models}
        models += [m for m in previous.get("deployedModels", []) if m["id"] not in current]
        split = previous.get("trafficSplit") or split
    return {"endpoint": endpoint["name"], "deployedModels": models, "trafficSplit": split}


def _size(models: list[Json]) -> str:
    parts = []
    for model in models:
        resources = model.get("dedicatedResources", {})
        spec = resources.get("machineSpec", {})
        text = f"{resources.get('minReplicaCount', 1)} x {spec.get('machineType', 'automatic')}"
        if spec.get("acceleratorType"):
            text += f" + {spec.get('acceleratorCount', 1)} x {spec['acceleratorType']}"
        parts.append(text)
    return ", ".join(parts)


def _price(region: str, models: list[Json], labels: Mapping[str, str]) -> Price | None:
    tagged = price_from_tag(dict(labels))
    if tagged or not models:
        return tagged
    total: Price | None = Price(0.0)
    for model in models:
        resources = model.get("dedicatedResources")
        if not resources or total is None:
            return None
        spec = resources.get("machineSpec", {})
        node = vertex_node_price(
            region,
            spec.get("machineType", ""),
            spec.get("acceleratorType", ""),
            int(spec.get("acceleratorCount", 0)),
        )
        replicas = scaled(node, int(resources.get("minReplicaCount", 1)))
        total = (
            None
            if replicas is None
            else Price(total.hourly + replicas.hourly, source=replicas.source)
        )
    return total


def _replace(resource: Resource, **changes: Any) -> Resource:
    return replace(resource, **changes)


def _time(text: str | None) -> datetime:
    try:
        return datetime.fromisoformat((text or "").replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)


def _rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
