"""Vertex AI endpoints opt in as SageMaker endpoints do: by the schedule label alone (its
off periods scale them down), by the idle label, or both; each endpoint once."""

from __future__ import annotations

from typing import Any

from gcp_helpers import PROJECT, REGION, SCHEDULE, by_name, decide

from providers.base import Action, Outcome, ResourceState, Target
from providers.gcp.vertex_endpoints import VertexEndpoints
from sandbox.gcp_fake import GcpFake

TARGET = Target("gcp", PROJECT)
MODEL = {
    "id": "1",
    "model": f"projects/{PROJECT}/locations/{REGION}/models/m1",
    "dedicatedResources": {"machineSpec": {"machineType": "n1-standard-4"}, "minReplicaCount": 1},
}


def test_schedule_labelled_endpoints_are_discovered_once_and_scale_down(
    fake: GcpFake, make: Any
) -> None:
    fake.add_endpoint(PROJECT, REGION, "1", "scheduled", SCHEDULE, [MODEL])
    fake.add_endpoint(PROJECT, REGION, "2", "both", {**SCHEDULE, "idle-stop": "1h"}, [MODEL])
    fake.add_endpoint(PROJECT, REGION, "3", "neither", {"team": "ml"}, [MODEL])
    adapter = make(VertexEndpoints)

    found = list(adapter.discover(TARGET))

    assert sorted(r.name for r in found) == ["both", "scheduled"]
    scheduled = by_name(found)["scheduled"]
    assert scheduled.state is ResourceState.RUNNING and not scheduled.unmanaged_reason
    assert not scheduled.idle  # no idle label: nothing measured, the schedule decides
    assert by_name(found)["both"].idle  # no predictions in its hour
    (result,) = adapter.apply(decide([scheduled], Action.SCALE_DOWN), False)
    assert result.outcome is Outcome.DONE, result.error
    assert fake.endpoint(PROJECT, REGION, "1")["deployedModels"] == []
    assert by_name(list(adapter.discover(TARGET)))["scheduled"].state is ResourceState.SCALED_DOWN
