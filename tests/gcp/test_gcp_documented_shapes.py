"""Every field the discovery documents define, replayed through the adapters' parsers.

The responses the adapters read (compute v1 ``Instance``, ``InstanceGroupManager``,
``InstanceTemplate``; notebooks v2 ``Instance``; aiplatform v1 ``Endpoint``) are built
from the discovery documents bundled with google-api-python-client (compute v1 revision
20261106, notebooks v2 20261006, aiplatform v1 20261106): every documented property filled
in, to a few levels deep, with the few values the test reads set as the documentation
shows them. The fake serves them as they are and the real adapters discover them: no
documented field may break a parser, and the fields offhours reads come out right.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from gcp_helpers import PROJECT, REGION, ZONE

from providers.base import ResourceState, Target
from providers.gcp.instance_groups import ManagedInstanceGroups
from providers.gcp.instances import GceInstances
from providers.gcp.vertex_endpoints import VertexEndpoints
from providers.gcp.workbench import WorkbenchInstances
from sandbox.gcp_fake import GcpFake

TARGET = Target("gcp", PROJECT)
COMPUTE = f"https://www.googleapis.com/compute/v1/projects/{PROJECT}"
Json = dict[str, Any]


@cache
def _document(api: str) -> Json:
    documents = pytest.importorskip("googleapiclient").__file__
    folder = Path(str(documents)).parent / "discovery_cache" / "documents"
    data: Json = json.loads((folder / f"{api}.json").read_text())
    return data


def example(api: str, schema: Json, depth: int = 0) -> Any:
    """A value with every property ``schema`` documents (``$ref`` followed 4 deep)."""
    if "$ref" in schema:
        if depth > 4:
            return {}
        return example(api, _document(api)["schemas"][schema["$ref"]], depth + 1)
    kind = schema.get("type", "any")
    if kind == "object" and "properties" in schema:
        return {k: example(api, v, depth) for k, v in schema["properties"].items()}
    if kind == "object":
        extra = schema.get("additionalProperties", {"type": "string"})
        return {"key": example(api, extra, depth)}
    if kind == "array":
        return [example(api, schema.get("items", {}), depth)]
    return _scalar(schema, kind)


def _scalar(schema: Json, kind: str) -> Any:
    if "enum" in schema:
        return schema["enum"][-1]
    formats = {"int64": "42", "uint64": "42", "google-datetime": "2026-11-20T10:00:00Z"}
    if kind == "string" and schema.get("format") in formats:
        return formats[schema["format"]]
    return {"string": "x", "boolean": True, "integer": 1, "number": 1.5}.get(kind, "x")


def _shape(api: str, schema: str, **documented: Any) -> Json:
    body: Json = example(api, {"$ref": schema})
    body.update(documented)
    return body


def test_a_documented_compute_instance(fake: GcpFake, make: Any) -> None:
    zone = f"{COMPUTE}/zones/{ZONE}"
    disk = _shape("compute.v1", "AttachedDisk", type="SCRATCH")
    instance = _shape(
        "compute.v1",
        "Instance",
        name="full",
        zone=zone,
        machineType=f"{zone}/machineTypes/n2-standard-8",
        status="RUNNING",
        labels={"schedule": "office-hours"},
        selfLink=f"{zone}/instances/full",
        disks=[disk],
        lastStartTimestamp="2026-11-20T01:00:00.000-08:00",
        metadata={"items": [{"key": "startup-script", "value": "echo"}]},
    )
    instance["guestAccelerators"][0]["acceleratorType"] = f"{zone}/acceleratorTypes/nvidia-l4"
    with fake.world.lock:
        fake.world.instances[(PROJECT, ZONE, "full")] = instance

    [found] = make(GceInstances).discover(TARGET)

    assert (found.name, found.region, found.size) == ("full", "europe-west4", "n2-standard-8")
    assert found.state is ResourceState.RUNNING and found.accelerator
    assert found.unmanaged_reason.startswith("local SSD attached (1)")
    assert found.started_at is not None and found.started_at.isoformat().startswith("2026-11-20")


def test_a_documented_instance_group_and_template(fake: GcpFake, make: Any) -> None:
    template = _shape(
        "compute.v1",
        "InstanceTemplate",
        name="full-v1",
        selfLink=f"{COMPUTE}/global/instanceTemplates/full-v1",
    )
    template.pop("region")
    template["properties"].update(machineType="e2-standard-4", labels={"schedule": "x"})
    template["properties"]["guestAccelerators"] = []
    group = _shape(
        "compute.v1",
        "InstanceGroupManager",
        name="full",
        zone=f"{COMPUTE}/zones/{ZONE}",
        instanceTemplate=template["selfLink"],
        selfLink=f"{COMPUTE}/zones/{ZONE}/instanceGroupManagers/full",
        targetSize=3,
    )
    group.pop("region")
    group["status"].update(isStable=True, autoscaler="")
    with fake.world.lock:
        fake.world.templates[(PROJECT, "global", "full-v1")] = template
        fake.world.migs[(PROJECT, f"zones/{ZONE}", "full")] = group

    [found] = make(ManagedInstanceGroups).discover(TARGET)

    assert (found.name, found.size) == ("full", "3 x e2-standard-4")
    assert found.state is ResourceState.RUNNING
    # Every documented field set: the stateful configuration is among them.
    assert found.unmanaged_reason.startswith("stateful managed instance group")


def test_a_documented_workbench_instance(fake: GcpFake, make: Any) -> None:
    name = f"projects/{PROJECT}/locations/{ZONE}/instances/full"
    instance = _shape(
        "notebooks.v2",
        "Instance",
        name=name,
        state="ACTIVE",
        labels={"schedule": "office-hours"},
        updateTime="2026-11-20T09:00:00Z",
    )
    instance["gceSetup"].update(machineType="n1-standard-4")
    with fake.world.lock:
        fake.world.workbench[name] = instance

    [found] = make(WorkbenchInstances).discover(TARGET)

    assert (found.name, found.state, found.region) == ("full", ResourceState.RUNNING, REGION)
    assert found.size.startswith("n1-standard-4 + ")  # the documented accelerator config


def test_a_documented_vertex_endpoint(fake: GcpFake, make: Any) -> None:
    name = f"projects/{PROJECT}/locations/{REGION}/endpoints/42"
    deployed = _shape("aiplatform.v1", "GoogleCloudAiplatformV1DeployedModel", id="1234567890")
    deployed["dedicatedResources"]["machineSpec"].update(
        machineType="n1-standard-4", acceleratorType="NVIDIA_TESLA_T4", acceleratorCount=1
    )
    endpoint = _shape(
        "aiplatform.v1",
        "GoogleCloudAiplatformV1Endpoint",
        name=name,
        displayName="full",
        labels={"schedule": "office-hours"},
        deployedModels=[deployed],
        trafficSplit={"1234567890": 100},
    )
    fake.add_project(PROJECT)
    with fake.world.lock:
        fake.world.endpoints[name] = endpoint

    [found] = make(VertexEndpoints).discover(TARGET)

    assert (found.name, found.state) == ("full", ResourceState.RUNNING)
    assert found.accelerator and "NVIDIA_TESLA_T4" in found.size
