"""Routes of the JSON REST APIs reached through ``google-auth``'s AuthorizedSession.

Shapes follow these references (each service is mounted under its own prefix on the
fake, e.g. ``{fake}/notebooks/v2/...`` for ``https://notebooks.googleapis.com/v2/...``):

- Vertex AI Workbench API v2 (https://cloud.google.com/vertex-ai/docs/workbench/reference/rest/v2):
  ``projects.locations.instances.list/get/stop/start/patch`` (``updateMask=labels``),
  ``projects.locations.operations.get``.
- Vertex AI API v1 (https://cloud.google.com/vertex-ai/docs/reference/rest/v1):
  ``projects.locations.endpoints.list/get/deployModel/undeployModel/patch``
  (``updateMask=labels``, ``etag`` checked) and
  ``projects.locations.endpoints.operations.get``.
- Cloud Monitoring API v3 (https://cloud.google.com/monitoring/api/ref_v3/rest/v3):
  ``projects.timeSeries.list`` for ``aiplatform.googleapis.com/prediction/online/prediction_count``
  and the VM utilisation gauges of ``sandbox/gcp_fake/gauges.py``.
- Cloud Resource Manager API v3
  (https://cloud.google.com/resource-manager/reference/rest/v3): ``projects.list`` and
  ``folders.list`` with ``parent=``, ``projects.get`` (with the project's ``labels``).

Long-running operations come back ``"done": false``; each ``operations.get`` moves one on
(``World.accept``), and the change shows once it is done (``STOPPING`` meanwhile for
Workbench), or never when it was made to fail (``"error"`` in the operation).
"""

from __future__ import annotations

import copy
import re
from datetime import datetime
from typing import Any

from sandbox.gcp_fake import filters, gauges
from sandbox.gcp_fake.world import ApiError, Json, Predictions, World, rfc3339

Params = dict[str, str]
NB = r"/notebooks/v2/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
AI = r"/aiplatform/v1/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
EP = AI + r"/endpoints/(?P<endpoint>[^/:]+)"
PREDICTIONS = "aiplatform.googleapis.com/prediction/online/prediction_count"
_V1 = "type.googleapis.com/google.cloud.aiplatform.v1"


def _page(items: list[Any], query: Params, default: int = 100) -> tuple[list[Any], str]:
    size = int(query.get("pageSize") or default)
    start = int(query.get("pageToken") or 0)
    return items[start : start + size], str(start + size) if items[start + size :] else ""


def _listing(key: str, items: list[Any], query: Params) -> Json:
    page, token = _page(items, query)
    answer: Json = {key: page} if page else {}
    if token:
        answer["nextPageToken"] = token
    return answer


# ---- Workbench v2 ---------------------------------------------------------------------------
def list_workbench(world: World, params: Params, query: Params, body: Json) -> Json:
    world.check_project(params["project"])
    prefix = f"projects/{params['project']}/locations/"
    if params["location"] != "-":
        prefix += params["location"] + "/"
    rows = [v for k, v in sorted(world.workbench.items()) if k.startswith(prefix)]
    return _listing("instances", rows, query)


def _workbench(world: World, params: Params) -> Json:
    name = f"projects/{params['project']}/locations/{params['location']}/instances/{params['name']}"
    world.check_project(params["project"])
    if name not in world.workbench:
        raise ApiError(404, f"Resource '{name}' was not found")
    return world.workbench[name]


def get_workbench(world: World, params: Params, query: Params, body: Json) -> Json:
    return _workbench(world, params)


_WORKBENCH = {
    # verb -> (states it applies to, state while under way, state once done). The v2 API
    # has stop and start but no suspend or resume (notebooks v2 discovery document): start
    # is for a STOPPED instance, and a SUSPENDED one is refused, as are instances
    # UPGRADING, INITIALIZING or ORPHANED (no VM).
    "stop": (("ACTIVE", "STARTING", "PROVISIONING"), "STOPPING", "STOPPED"),
    "start": (("STOPPED",), "STARTING", "ACTIVE"),
}


def workbench_action(world: World, params: Params, query: Params, body: Json) -> Json:
    instance = _workbench(world, params)
    state, verb = instance["state"], params["verb"]
    applies, under_way, done = _WORKBENCH[verb]
    if state not in applies and state != done:
        raise ApiError(400, f"Instance is in state {state}: cannot {verb}", "FAILED_PRECONDITION")

    def become(new_state: str) -> None:
        instance["state"] = new_state
        instance["updateTime"] = rfc3339(world.clock())
        instance["healthState"] = "HEALTHY" if new_state == "ACTIVE" else "HEALTH_STATE_UNSPECIFIED"

    if state in applies:
        become(under_way)
    progress = world.accept(
        instance["name"].rsplit("/", 1)[-1], verb, lambda: become(done), lambda: become(state)
    )
    where = f"projects/{params['project']}/locations/{params['location']}"
    op = f"{where}/operations/operation-{world.next_id()}"
    return world.longrunning(
        op,
        "type.googleapis.com/google.cloud.notebooks.v2.OperationMetadata",
        lambda: {
            "@type": "type.googleapis.com/google.cloud.notebooks.v2.Instance",
            **copy.deepcopy(instance),
        },
        progress,
    )


def patch_workbench(world: World, params: Params, query: Params, body: Json) -> Json:
    """``instances.patch`` (notebooks v2): only ``updateMask=labels`` is served; the labels
    are replaced when the long-running operation finishes."""
    instance = _workbench(world, params)
    if query.get("updateMask") != "labels":
        raise ApiError(400, f"updateMask {query.get('updateMask')!r} is not served by the fake")
    labels = dict(body.get("labels") or {})

    def relabel() -> None:
        instance["labels"] = labels
        instance["updateTime"] = rfc3339(world.clock())

    progress = world.accept(instance["name"].rsplit("/", 1)[-1], "patch", relabel)
    where = f"projects/{params['project']}/locations/{params['location']}"
    return world.longrunning(
        f"{where}/operations/operation-{world.next_id()}",
        "type.googleapis.com/google.cloud.notebooks.v2.OperationMetadata",
        lambda: {
            "@type": "type.googleapis.com/google.cloud.notebooks.v2.Instance",
            **copy.deepcopy(instance),
        },
        progress,
    )


def get_operation(world: World, params: Params, query: Params, body: Json) -> Json:
    name = params["name"]
    if name not in world.lro:
        raise ApiError(404, f"Operation '{name}' was not found")
    world.poll(name)
    return copy.deepcopy(world.lro[name])


# ---- Vertex AI endpoints --------------------------------------------------------------------
def list_endpoints(world: World, params: Params, query: Params, body: Json) -> Json:
    world.check_project(params["project"])
    terms = filters.parse(query.get("filter", ""))
    prefix = f"projects/{params['project']}/locations/{params['location']}/endpoints/"
    rows = [
        e
        for k, e in sorted(world.endpoints.items())
        if k.startswith(prefix) and filters.matches(terms, filters.labels_lookup(e["labels"]))
    ]
    return _listing("endpoints", rows, query)


def _endpoint(world: World, params: Params) -> Json:
    world.check_project(params["project"])
    where = f"projects/{params['project']}/locations/{params['location']}"
    name = f"{where}/endpoints/{params['endpoint']}"
    if name not in world.endpoints:
        raise ApiError(404, f"Endpoint {name} not found.")
    return world.endpoints[name]


def get_endpoint(world: World, params: Params, query: Params, body: Json) -> Json:
    return _endpoint(world, params)


def patch_endpoint(world: World, params: Params, query: Params, body: Json) -> Json:
    """``endpoints.patch`` (aiplatform v1) with ``updateMask=labels``: answers the endpoint;
    an ``etag`` that is not the endpoint's current one is refused (409 ABORTED)."""
    endpoint = _endpoint(world, params)
    if query.get("updateMask") != "labels":
        raise ApiError(400, f"updateMask {query.get('updateMask')!r} is not served by the fake")
    etag = endpoint.setdefault("etag", f"etag-{world.next_id()}")
    if body.get("etag") and body["etag"] != etag:
        raise ApiError(409, "The endpoint changed since it was read (etag).", "ABORTED")
    endpoint["labels"] = dict(body.get("labels") or {})
    endpoint["etag"] = f"etag-{world.next_id()}"
    return copy.deepcopy(endpoint)


def _check_split(split: dict[str, int], ids: set[str]) -> None:
    unknown = set(split) - ids
    if unknown:
        raise ApiError(400, f"Traffic split refers to unknown deployed models: {sorted(unknown)}")
    if ids and sum(split.values()) != 100:
        raise ApiError(400, "The traffic split percentages must add up to 100.")


def _check_deployed_model_id(model_id: str) -> None:
    """aiplatform v1 discovery document, ``DeployedModel.id``: "If not provided upon
    deployment, Vertex AI will generate a value for this ID. This value should be 1-10
    characters, and valid characters are /[0-9]/"."""
    if not re.fullmatch(r"[0-9]{1,10}", model_id):
        raise ApiError(
            400,
            f"Invalid DeployedModel.id '{model_id}': it should be 1-10 characters, "
            "and valid characters are /[0-9]/.",
        )


def deploy_model(world: World, params: Params, query: Params, body: Json) -> Json:
    endpoint = _endpoint(world, params)
    model = copy.deepcopy(body.get("deployedModel") or {})
    if not model.get("model"):
        raise ApiError(400, "DeployedModel.model is required.")
    if not (model.get("dedicatedResources") or model.get("automaticResources")):
        raise ApiError(400, "DeployedModel must specify dedicatedResources or automaticResources.")
    if "id" in model:
        _check_deployed_model_id(str(model["id"]))
    else:  # Vertex AI's own ids are 19 digits
        model["id"] = str(4_000_000_000_000_000_000 + int(world.next_id()))
    if any(m["id"] == model["id"] for m in endpoint["deployedModels"]):
        raise ApiError(409, f"DeployedModel {model['id']} already exists.", "ALREADY_EXISTS")
    model_name, _, version = model["model"].partition("@")
    model["model"] = model_name
    model["modelVersionId"] = version or "1"
    model["createTime"] = rfc3339(world.clock())
    split = {
        model["id"] if k == "0" else k: int(v) for k, v in (body.get("trafficSplit") or {}).items()
    }
    ids = {m["id"] for m in endpoint["deployedModels"]} | {model["id"]}
    if split:
        _check_split(split, ids)
    elif not endpoint["deployedModels"]:
        split = {model["id"]: 100}
    else:
        split = dict(endpoint["trafficSplit"])

    def finish() -> None:
        endpoint["deployedModels"].append(model)
        endpoint["trafficSplit"] = split
        endpoint["updateTime"] = model["createTime"]

    return world.longrunning(
        f"{endpoint['name']}/operations/{world.next_id()}",
        f"{_V1}.DeployModelOperationMetadata",
        lambda: {"@type": f"{_V1}.DeployModelResponse", "deployedModel": copy.deepcopy(model)},
        world.accept(params["endpoint"], "deployModel", finish),
    )


def list_endpoint_operations(world: World, params: Params, query: Params, body: Json) -> Json:
    """``endpoints.operations.list``: the endpoint's long-running operations, done or not
    (listing moves none of them on)."""
    prefix = _endpoint(world, params)["name"] + "/operations/"
    rows = [copy.deepcopy(op) for name, op in sorted(world.lro.items()) if name.startswith(prefix)]
    return _listing("operations", rows, query)


def undeploy_model(world: World, params: Params, query: Params, body: Json) -> Json:
    endpoint = _endpoint(world, params)
    model_id = str(body.get("deployedModelId", ""))
    if not any(m["id"] == model_id for m in endpoint["deployedModels"]):
        raise ApiError(404, f"DeployedModel {model_id} not found on {endpoint['name']}.")
    remaining = {m["id"] for m in endpoint["deployedModels"]} - {model_id}
    split = {k: int(v) for k, v in (body.get("trafficSplit") or endpoint["trafficSplit"]).items()}
    if remaining:
        if split.get(model_id, 0) > 0:
            raise ApiError(400, f"DeployedModel {model_id} still has traffic: set trafficSplit.")
        split.pop(model_id, None)
        _check_split(split, remaining)
    else:
        split = {}

    def finish() -> None:
        models = endpoint["deployedModels"]
        endpoint["deployedModels"] = [m for m in models if m["id"] != model_id]
        endpoint["trafficSplit"] = split
        endpoint["updateTime"] = rfc3339(world.clock())

    return world.longrunning(
        f"{endpoint['name']}/operations/{world.next_id()}",
        f"{_V1}.UndeployModelOperationMetadata",
        lambda: {"@type": f"{_V1}.UndeployModelResponse"},
        world.accept(params["endpoint"], "undeployModel", finish),
    )


# ---- Cloud Monitoring -----------------------------------------------------------------------
def _time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, f"Invalid interval time {text!r}") from None


def list_time_series(world: World, params: Params, query: Params, body: Json) -> Json:
    project = params["project"]
    world.check_project(project)
    parsed = filters.parse(query.get("filter", ""))
    terms = {t.field: t.value for t in parsed if t.op != "one_of"}
    listed = {t.field: set(t.value.split("\x1f")) for t in parsed if t.op == "one_of"}
    if "metric.type" not in terms:
        raise ApiError(400, "Field filter must name a metric.type.")
    if "interval.endTime" not in query:
        raise ApiError(400, "Field interval.endTime is required.")
    end = _time(query["interval.endTime"])
    start = _time(query.get("interval.startTime") or query["interval.endTime"])
    if terms["metric.type"] in gauges.GAUGE_TYPES:
        return gauges.answer(world.gauges, project, terms, query, listed)
    if terms["metric.type"] != PREDICTIONS:
        return {}
    wanted = terms.get("resource.labels.endpoint_id")
    series = []
    for (p, endpoint_id), counts in sorted(world.predictions.items()):
        if p != project or (wanted and wanted != endpoint_id):
            continue
        total = counts.total(start, end)
        if total:
            series.append(_series(project, endpoint_id, total, start, end))
    return {"timeSeries": series, "unit": "1"} if series else {"unit": "1"}


def _series(project: str, endpoint_id: str, total: int, start: datetime, end: datetime) -> Json:
    return {
        "metric": {"type": PREDICTIONS, "labels": {"deployed_model_id": ""}},
        "resource": {
            "type": "aiplatform.googleapis.com/Endpoint",
            "labels": {"resource_container": project, "endpoint_id": endpoint_id},
        },
        "metricKind": "DELTA",
        "valueType": "INT64",
        "points": [
            {
                "interval": {"startTime": rfc3339(start), "endTime": rfc3339(end)},
                "value": {"int64Value": str(total)},
            }
        ],
    }


def set_predictions(
    world: World, project: str, endpoint_id: str, count: int, at: datetime | None
) -> None:
    with world.lock:
        counts = world.predictions.setdefault((project, endpoint_id), Predictions())
        if at is None:
            counts.steady = count
        else:
            counts.points.append((at, count))


# ---- Resource Manager -----------------------------------------------------------------------
def list_projects(world: World, params: Params, query: Params, body: Json) -> Json:
    parent = query.get("parent", "")
    if not parent:
        raise ApiError(400, "Field parent is required.")
    rows = [p for _, p in sorted(world.projects.items()) if p["parent"] == parent]
    return _listing("projects", rows, query)


def get_project(world: World, params: Params, query: Params, body: Json) -> Json:
    """``projects.get`` (v3, ``GET v3/{+name}``): by project id or ``projects/NUMBER``; the
    ``Project`` shape of the discovery document, with ``labels`` when it has any."""
    wanted = params["project"]
    with world.lock:
        for project_id, project in world.projects.items():
            if wanted in (project_id, project["name"].removeprefix("projects/")):
                return {k: v for k, v in project.items() if v not in ("", {})}
    raise ApiError(403, f"Permission denied on resource project {wanted} (or it may not exist).")


def list_folders(world: World, params: Params, query: Params, body: Json) -> Json:
    parent = query.get("parent", "")
    if not parent:
        raise ApiError(400, "Field parent is required.")
    rows = [
        {"name": f, "parent": p, "displayName": f, "state": "ACTIVE"}
        for f, p in sorted(world.folders.items())
        if p == parent
    ]
    return _listing("folders", rows, query)


ROUTES = [
    ("GET", NB + r"/instances", list_workbench),
    ("GET", NB + r"/instances/(?P<name>[^/:]+)", get_workbench),
    ("PATCH", NB + r"/instances/(?P<name>[^/:]+)", patch_workbench),
    ("POST", NB + r"/instances/(?P<name>[^/:]+):(?P<verb>stop|start)", workbench_action),
    (
        "GET",
        r"/notebooks/v2/(?P<name>projects/[^/]+/locations/[^/]+/operations/[^/]+)",
        get_operation,
    ),
    ("GET", AI + r"/endpoints", list_endpoints),
    ("GET", EP, get_endpoint),
    ("PATCH", EP, patch_endpoint),
    ("GET", EP + r"/operations", list_endpoint_operations),
    ("POST", EP + r":deployModel", deploy_model),
    ("POST", EP + r":undeployModel", undeploy_model),
    (
        "GET",
        r"/aiplatform/v1/(?P<name>projects/[^/]+/locations/[^/]+/endpoints/[^/]+/operations/[^/]+)",
        get_operation,
    ),
    ("GET", r"/monitoring/v3/projects/(?P<project>[^/]+)/timeSeries", list_time_series),
    ("GET", r"/cloudresourcemanager/v3/projects", list_projects),
    ("GET", r"/cloudresourcemanager/v3/projects/(?P<project>[^/]+)", get_project),
    ("GET", r"/cloudresourcemanager/v3/folders", list_folders),
]
