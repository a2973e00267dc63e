"""Idle Vertex AI endpoints: prediction counts from Monitoring, undeploy and redeploy."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest
from gcp_helpers import PROJECT, REGION, by_name, decide, restored

from providers.base import Action, Outcome, ResourceState, Target
from providers.gcp.vertex_endpoints import VertexEndpoints, parse_window
from providers.store import LocalStore, StoreError
from sandbox.gcp_fake import GcpFake

TARGET = Target("gcp", PROJECT)
MODEL = f"projects/{PROJECT}/locations/{REGION}/models"


def _model(model_id: str, machine: str = "n1-standard-4", gpu: str = "", **extra: Any) -> dict:
    spec: dict[str, Any] = {"machineType": machine}
    if gpu:
        spec.update(acceleratorType=gpu, acceleratorCount=1)
    return {
        "id": model_id,
        "model": f"{MODEL}/m{model_id}",
        "modelVersionId": "3",
        "displayName": f"model-{model_id}",
        "dedicatedResources": {"machineSpec": spec, "minReplicaCount": 2, "maxReplicaCount": 4},
        "enableAccessLogging": True,
        **extra,
    }


@pytest.fixture
def endpoints(fake: GcpFake, clock: Any) -> GcpFake:
    two = [_model("101", gpu="NVIDIA_TESLA_T4"), _model("102", "e2-standard-4")]
    fake.add_endpoint(
        PROJECT,
        REGION,
        "1",
        "idle-two",
        {"idle-stop": "60m", "team": "ml"},
        two,
        {"101": 70, "102": 30},
    )
    fake.add_endpoint(PROJECT, REGION, "2", "busy", {"idle-stop": "2h"}, [_model("201")])
    fake.add_endpoint(
        PROJECT,
        REGION,
        "3",
        "fresh",
        {"idle-stop": "1h"},
        [_model("301", createTime=(clock.now - timedelta(minutes=10)).isoformat())],
    )
    fake.add_endpoint(PROJECT, REGION, "4", "odd-label", {"idle-stop": "soon"}, [_model("401")])
    fake.add_endpoint(PROJECT, REGION, "5", "not-opted-in", {"team": "ml"}, [_model("501")])
    fake.add_endpoint(PROJECT, REGION, "6", "old-traffic", {"idle-stop": "1h"}, [_model("601")])
    fake.set_prediction_count(PROJECT, "2", 12, at=clock.now - timedelta(minutes=90))
    fake.set_prediction_count(PROJECT, "6", 500, at=clock.now - timedelta(hours=3))
    return fake


def _deployed(fake: GcpFake, endpoint_id: str) -> dict[str, Any]:
    return fake.endpoint(PROJECT, REGION, endpoint_id)


def _without_create_time(models: list[dict]) -> list[dict]:
    return [{k: v for k, v in m.items() if k != "createTime"} for m in models]


def test_discover_measures_idleness(endpoints: GcpFake, make: Any) -> None:
    found = by_name(list(make(VertexEndpoints).discover(TARGET)))

    assert sorted(found) == ["busy", "fresh", "idle-two", "odd-label", "old-traffic"]
    idle = found["idle-two"]
    assert idle.idle and idle.state is ResourceState.RUNNING
    assert idle.off_state is ResourceState.SCALED_DOWN
    assert idle.id == f"projects/{PROJECT}/locations/{REGION}/endpoints/1"
    assert idle.size == "2 x n1-standard-4 + 1 x NVIDIA_TESLA_T4, 2 x e2-standard-4"
    expected = 1.1 * (2 * (0.2186 + 0.4025) + 2 * 0.1541)
    assert idle.price is not None and idle.price.hourly == pytest.approx(expected, rel=1e-4)
    assert not found["busy"].idle  # 12 predictions 90 minutes ago, inside its 2h window
    assert found["busy"].extra["predictions"] == "12"
    assert not found["fresh"].idle  # deployed 10 minutes ago: not idle for a full window
    assert found["old-traffic"].idle  # its traffic is older than the 1h window
    assert "not a duration" in found["odd-label"].unmanaged_reason


def test_idle_endpoint_undeployed_then_redeployed_identically(
    endpoints: GcpFake, make: Any, store: LocalStore
) -> None:
    before = copy.deepcopy(_deployed(endpoints, "1"))
    adapter = make(VertexEndpoints)
    found = list(adapter.discover(TARGET))
    idle = [r for r in found if r.idle]

    results = {r.resource.name: r for r in adapter.apply(decide(idle, Action.SCALE_DOWN), False)}

    assert sorted(results) == ["idle-two", "old-traffic"]
    assert {r.outcome for r in results.values()} == {Outcome.DONE}
    assert _deployed(endpoints, "1")["deployedModels"] == []
    assert _deployed(endpoints, "1")["trafficSplit"] == {}
    assert _deployed(endpoints, "6")["deployedModels"] == []
    saved = restored(store, by_name(idle)["idle-two"]) or {}
    assert saved["deployedModels"] == before["deployedModels"]
    assert saved["trafficSplit"] == {"101": 70, "102": 30}
    # The busy and the fresh endpoints were left alone.
    assert [m["id"] for m in _deployed(endpoints, "2")["deployedModels"]] == ["201"]
    assert [m["id"] for m in _deployed(endpoints, "3")["deployedModels"]] == ["301"]

    down = by_name(list(adapter.discover(TARGET)))
    assert down["idle-two"].state is ResourceState.SCALED_DOWN
    assert down["idle-two"].price == by_name(found)["idle-two"].price  # priced from the spec

    results_up = list(
        adapter.apply(decide([down["idle-two"], down["old-traffic"]], Action.SCALE_UP), False)
    )

    assert {r.outcome for r in results_up} == {Outcome.DONE}
    after = _deployed(endpoints, "1")
    assert _without_create_time(after["deployedModels"]) == _without_create_time(
        before["deployedModels"]
    )
    assert after["trafficSplit"] == {"101": 70, "102": 30}
    assert restored(store, down["idle-two"]) is None
    back = by_name(list(adapter.discover(TARGET)))
    assert back["idle-two"].state is ResourceState.RUNNING
    assert not back["idle-two"].idle  # just redeployed: a full window must pass first


def test_failed_save_undeploys_nothing(endpoints: GcpFake, make: Any, tmp_path: Any) -> None:
    class BrokenStore(LocalStore):
        def put(self, key: str, data: bytes) -> None:
            raise StoreError("bucket is read-only")

    adapter = make(VertexEndpoints, state=BrokenStore(tmp_path / "s"))
    idle = by_name(list(adapter.discover(TARGET)))["idle-two"]

    [result] = adapter.apply(decide([idle], Action.SCALE_DOWN), False)

    assert result.outcome is Outcome.FAILED and "could not be saved" in result.error
    assert len(_deployed(endpoints, "1")["deployedModels"]) == 2


def test_half_done_scale_down_is_finished_by_the_next_run(
    endpoints: GcpFake, make: Any, store: LocalStore
) -> None:
    before = copy.deepcopy(_deployed(endpoints, "1"))
    adapter = make(VertexEndpoints)
    idle = by_name(list(adapter.discover(TARGET)))["idle-two"]
    # The first undeploy (model 102) goes through, the second (101) fails once.
    endpoints.fail("endpoints/1:undeployModel", 503, "backend unavailable", after=1, times=1)

    [failed] = adapter.apply(decide([idle], Action.SCALE_DOWN), False)

    assert failed.outcome is Outcome.FAILED and "backend unavailable" in failed.error
    assert [m["id"] for m in _deployed(endpoints, "1")["deployedModels"]] == ["101"]
    assert _deployed(endpoints, "1")["trafficSplit"] == {"101": 100}

    [done] = adapter.apply(decide([idle], Action.SCALE_DOWN), False)
    [up] = adapter.apply(decide([idle], Action.SCALE_UP), False)

    assert (done.outcome, up.outcome) == (Outcome.DONE, Outcome.DONE)
    after = _deployed(endpoints, "1")
    assert _without_create_time(after["deployedModels"]) == _without_create_time(
        before["deployedModels"]
    )
    assert after["trafficSplit"] == {"101": 70, "102": 30}


def test_scale_up_without_saved_spec_fails(endpoints: GcpFake, make: Any) -> None:
    endpoints.add_endpoint(PROJECT, REGION, "9", "empty", {"idle-stop": "1h"}, [])
    adapter = make(VertexEndpoints)
    empty = by_name(list(adapter.discover(TARGET)))["empty"]

    [result] = adapter.apply(decide([empty], Action.SCALE_UP), False)

    assert "no deployed models" in empty.unmanaged_reason
    assert result.outcome is Outcome.FAILED and result.error.startswith("no saved size to restore")


def test_dry_run_changes_nothing(endpoints: GcpFake, make: Any, store: LocalStore) -> None:
    adapter = make(VertexEndpoints)
    idle = [r for r in adapter.discover(TARGET) if r.idle]

    results = list(adapter.apply(decide(idle, Action.SCALE_DOWN), True))

    assert {r.outcome for r in results} == {Outcome.DRY_RUN}
    assert len(_deployed(endpoints, "1")["deployedModels"]) == 2
    assert list(store.list("state/")) == []


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("60m", 3600),
        ("2h", 7200),
        ("1d", 86400),
        ("90s", 90),
        ("0m", None),
        ("soon", None),
        ("", None),
        ("1.5h", None),
    ],
)
def test_parse_window(text: str, seconds: int | None) -> None:
    assert parse_window(text) == seconds
