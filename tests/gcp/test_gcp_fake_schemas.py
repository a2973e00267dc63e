"""The fake's response bodies against Google's published schemas.

``google-api-python-client`` ships the discovery documents of Compute Engine v1, Notebooks
v2 and Vertex AI v1. Every field the fake answers with must be one the schema defines, with
the JSON type it defines (int64 as a string, enums from the list); a field the fake adds by
mistake, or a number where Google sends a string, fails here.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from gcp_helpers import PROJECT, REGION, SCHEDULE, ZONE

from providers.gcp.instance_groups import ManagedInstanceGroups
from providers.gcp.instances import GceInstances
from providers.gcp.vertex_endpoints import VertexEndpoints
from providers.gcp.workbench import WorkbenchInstances
from sandbox.gcp_fake import GcpFake

Json = dict[str, Any]
_TYPES: dict[str, Any] = {
    "any": lambda v: True,
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
}


@cache
def _document(api: str) -> Json:
    documents = pytest.importorskip("googleapiclient").__file__
    folder = Path(str(documents)).parent / "discovery_cache" / "documents"
    data: Json = json.loads((folder / f"{api}.json").read_text())
    return data


def _type_problem(value: Any, schema: Json) -> str:
    kind = schema.get("type", "any")
    if not _TYPES[kind](value):
        return f"{value!r} is not {'an' if kind[0] in 'aeiou' else 'a'} {kind}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{value!r} is not one of {schema['enum']}"
    return ""


def problems(value: Any, schema: Json, api: str, where: str = "$") -> list[str]:
    """Every place ``value`` leaves ``schema`` (a discovery-document schema of ``api``)."""
    if "$ref" in schema:
        return problems(value, _document(api)["schemas"][schema["$ref"]], api, where)
    wrong = _type_problem(value, schema)
    if wrong:
        return [f"{where}: {wrong}"]
    found = []
    if schema.get("type") == "array":
        for i, item in enumerate(value):
            found += problems(item, schema["items"], api, f"{where}[{i}]")
    if schema.get("type") == "object":
        properties, extra = schema.get("properties", {}), schema.get("additionalProperties")
        for key, item in value.items():
            if key in properties:
                found += problems(item, properties[key], api, f"{where}.{key}")
            elif extra is not None:
                found += problems(item, extra, api, f"{where}.{key}")
            else:
                found.append(f"{where}.{key}: not in the schema")
    return found


def _bodies(fake: GcpFake, connection: Any) -> dict[str, tuple[str, str, Any]]:
    """(api, schema, body) of the fake's answers, operations in every step included."""
    session = connection.session()
    compute = f"{fake.url}/compute.googleapis.com/compute/v1"
    project = f"{compute}/projects/{PROJECT}"

    def get(url: str) -> Any:
        answer = session.get(url, timeout=10)
        answer.raise_for_status()
        return answer.json()

    def post(url: str, body: Json | None = None) -> Any:
        answer = session.post(url, json=body or {}, timeout=10)
        answer.raise_for_status()
        return answer.json()

    bodies: dict[str, tuple[str, str, Any]] = {}
    bodies["instance list"] = (
        "compute.v1",
        "InstanceAggregatedList",
        get(f"{project}/aggregated/instances"),
    )
    bodies["instance"] = ("compute.v1", "Instance", get(f"{project}/zones/{ZONE}/instances/gpu"))
    fake.fail_operation("vm", "stop", "injected", "RESOURCE_OPERATION_FAILED")
    pending = post(f"{project}/zones/{ZONE}/instances/vm/stop")
    read = pending["selfLink"].replace("https://www.googleapis.com/compute/v1", compute)
    bodies["operation pending"] = ("compute.v1", "Operation", pending)
    bodies["operation running"] = ("compute.v1", "Operation", get(read))
    bodies["operation failed"] = ("compute.v1", "Operation", get(read))
    bodies["group list"] = (
        "compute.v1",
        "InstanceGroupManagerAggregatedList",
        get(f"{project}/aggregated/instanceGroupManagers"),
    )
    fake.hold_members("web")
    resize = post(f"{project}/zones/{ZONE}/instanceGroupManagers/web/resize?size=3")
    for _ in range(2):  # the operation is DONE; the new members are still being created
        get(resize["selfLink"].replace("https://www.googleapis.com/compute/v1", compute))
    bodies["group resizing"] = (
        "compute.v1",
        "InstanceGroupManagerAggregatedList",
        get(f"{project}/aggregated/instanceGroupManagers"),
    )
    bodies["managed instances"] = (
        "compute.v1",
        "InstanceGroupManagersListManagedInstancesResponse",
        post(f"{project}/zones/{ZONE}/instanceGroupManagers/web/listManagedInstances"),
    )
    bodies["template"] = (
        "compute.v1",
        "InstanceTemplate",
        get(f"{project}/global/instanceTemplates/web-v1"),
    )

    notebooks = f"{connection.base_url('notebooks')}/projects/{PROJECT}/locations"
    bodies["notebook list"] = (
        "notebooks.v2",
        "ListInstancesResponse",
        get(f"{notebooks}/-/instances"),
    )
    started = post(f"{notebooks}/{ZONE}/instances/nb:stop")
    bodies["notebook operation"] = ("notebooks.v2", "Operation", started)
    base = connection.base_url("notebooks")
    get(f"{base}/{started['name']}")
    bodies["notebook operation done"] = (
        "notebooks.v2",
        "Operation",
        get(f"{base}/{started['name']}"),
    )

    vertex = connection.base_url("aiplatform", REGION)
    endpoints = f"{vertex}/projects/{PROJECT}/locations/{REGION}/endpoints"
    bodies["endpoint list"] = (
        "aiplatform.v1",
        "GoogleCloudAiplatformV1ListEndpointsResponse",
        get(endpoints),
    )
    bodies["endpoint"] = ("aiplatform.v1", "GoogleCloudAiplatformV1Endpoint", get(f"{endpoints}/7"))
    undeploy = post(f"{endpoints}/7:undeployModel", {"deployedModelId": "71"})
    bodies["endpoint operation"] = ("aiplatform.v1", "GoogleLongrunningOperation", undeploy)
    return bodies


def test_fake_bodies_carry_only_schema_fields_with_schema_types(
    fake: GcpFake, connection: Any, built: Any
) -> None:
    for adapter in (GceInstances, ManagedInstanceGroups, WorkbenchInstances, VertexEndpoints):
        built.permissions.update(adapter.permissions)
    built.permissions.add("compute.instances.get")  # this test reads one instance
    fake.add_instance(PROJECT, ZONE, "vm", "e2-medium", SCHEDULE)
    fake.add_instance(PROJECT, ZONE, "gpu", "n1-standard-8", SCHEDULE, gpus=("nvidia-tesla-t4", 1))
    fake.add_template(PROJECT, "web-v1", "e2-standard-2", SCHEDULE)
    fake.add_mig(PROJECT, ZONE, "web", "web-v1", 1)
    fake.add_mig(PROJECT, ZONE, "db", "web-v1", 1, stateful_disk="data")
    fake.add_instance(PROJECT, ZONE, "scratch", "n2-standard-8", SCHEDULE, local_ssds=2)
    fake.add_workbench(PROJECT, ZONE, "nb", "n1-standard-4", SCHEDULE, gpus=("NVIDIA_TESLA_T4", 1))
    model = {
        "id": "71",
        "model": f"projects/{PROJECT}/locations/{REGION}/models/m",
        "dedicatedResources": {
            "machineSpec": {"machineType": "n1-standard-4"},
            "minReplicaCount": 1,
        },
    }
    fake.add_endpoint(PROJECT, REGION, "7", "churn", {"idle-stop": "60m"}, [model])

    bodies = _bodies(fake, connection)
    [resizing] = [
        m
        for scoped in bodies["group resizing"][2]["items"].values()
        for m in scoped["instanceGroupManagers"]
        if m["name"] == "web"
    ]
    assert not resizing["status"]["isStable"] and resizing["currentActions"]["creating"] == 2

    assert (
        bodies["operation failed"][2]["status"] == "DONE" and bodies["operation failed"][2]["error"]
    )
    found = {
        name: problems(body, {"$ref": schema}, api) for name, (api, schema, body) in bodies.items()
    }
    assert {name: p for name, p in found.items() if p} == {}


def test_the_checker_catches_extra_fields_and_wrong_types() -> None:
    pytest.importorskip("googleapiclient")
    wrong = {"status": "FINISHED", "progress": "50", "nonsense": 1, "id": 12}
    assert problems(wrong, {"$ref": "Operation"}, "compute.v1") == [
        "$.status: 'FINISHED' is not one of ['DONE', 'PENDING', 'RUNNING']",
        "$.progress: '50' is not an integer",
        "$.nonsense: not in the schema",
        "$.id: 12 is not a string",
    ]
