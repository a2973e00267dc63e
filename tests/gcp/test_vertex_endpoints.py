"""Idle Vertex AI endpoints: prediction counts from Monitoring, undeploy and redeploy."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest
from gcp_helpers import PROJECT, REGION, by_name, decide, restored

from providers.base import Action, Outcome, ResourceState, Target
from providers.gcp import rest
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
    """The deployed models as the owner configured them: Vertex assigns a new id (and a new
    createTime) on every deploy."""
    kept = [{k: v for k, v in m.items() if k not in ("createTime", "id")} for m in models]
    return sorted(kept, key=lambda m: m["model"])


def _split_by_model(endpoint: dict) -> dict[str, int]:
    """The traffic split keyed by model rather than by deployed-model id."""
    names = {m["id"]: m["model"].rsplit("/", 1)[-1] for m in endpoint["deployedModels"]}
    return {names[k]: v for k, v in endpoint["trafficSplit"].items()}


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
    assert _split_by_model(after) == {"m101": 70, "m102": 30}
    assert all(len(m["id"]) == 19 for m in after["deployedModels"])  # ids Vertex assigned
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
    assert _split_by_model(after) == {"m101": 70, "m102": 30}


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


def _corrupt(store: LocalStore, resource: Any) -> None:
    from providers.restore import RestoreStore

    store.put(RestoreStore(store).key(resource), b"{not json")


def test_a_region_without_vertex_ai_is_skipped_a_denied_one_raises(
    endpoints: GcpFake, make: Any
) -> None:
    adapter = make(VertexEndpoints)
    adapter.connection.regions = ("us-central1", REGION)
    endpoints.fail(
        "/locations/us-central1/endpoints", 404, "Vertex AI is not offered here", times=1
    )

    found = by_name(list(adapter.discover(TARGET)))

    assert "idle-two" in found and all(r.region == REGION for r in found.values())
    endpoints.fail("/locations/us-central1/endpoints", 403, "aiplatform.endpoints.list denied")
    with pytest.raises(rest.GcpApiError, match="403"):
        list(adapter.discover(TARGET))


def test_unreadable_saved_deployment_is_reported_and_not_redeployed(
    endpoints: GcpFake, make: Any, store: LocalStore
) -> None:
    adapter = make(VertexEndpoints)
    idle = by_name(list(adapter.discover(TARGET)))["idle-two"]
    adapter.apply(decide([idle], Action.SCALE_DOWN), False)
    _corrupt(store, idle)

    down = by_name(list(adapter.discover(TARGET)))["idle-two"]
    [up] = adapter.apply(decide([down], Action.SCALE_UP), False)

    assert down.unmanaged_reason.startswith("saved deployment unreadable") and "not JSON" in (
        down.unmanaged_reason
    )
    assert up.outcome is Outcome.FAILED and up.error.startswith("no saved size to restore")
    assert _deployed(endpoints, "1")["deployedModels"] == []


def test_a_redeploy_that_outlived_its_run_is_forgotten_by_the_next_discovery(
    endpoints: GcpFake, make: Any, store: LocalStore
) -> None:
    adapter = make(VertexEndpoints)
    idle = by_name(list(adapter.discover(TARGET)))["old-traffic"]
    adapter.apply(decide([idle], Action.SCALE_DOWN), False)
    endpoints.hold_operation("6", "deployModel")
    [up] = adapter.apply(decide([idle], Action.SCALE_UP), False)
    assert up.outcome is Outcome.ACCEPTED and restored(store, idle) is not None
    endpoints.settle()

    back = by_name(list(adapter.discover(TARGET)))["old-traffic"]

    assert back.state is ResourceState.RUNNING
    assert restored(store, idle) is None  # every saved model is back: the spec is stale


def test_unreadable_spec_of_a_running_endpoint_does_not_stop_discovery(
    endpoints: GcpFake, make: Any, store: LocalStore
) -> None:
    adapter = make(VertexEndpoints)
    busy = by_name(list(adapter.discover(TARGET)))["busy"]
    _corrupt(store, busy)

    again = by_name(list(adapter.discover(TARGET)))

    assert again["busy"].state is ResourceState.RUNNING and not again["busy"].unmanaged_reason
    from providers.restore import RestoreStore

    assert store.get(RestoreStore(store).key(busy)) == b"{not json"  # left for a person to see


def test_models_gone_before_the_scale_down_is_already_off(
    endpoints: GcpFake, make: Any, store: LocalStore
) -> None:
    adapter = make(VertexEndpoints)
    idle = by_name(list(adapter.discover(TARGET)))["old-traffic"]
    with endpoints.world.lock:
        endpoint = endpoints.world.endpoints[idle.id]
        endpoint["deployedModels"], endpoint["trafficSplit"] = [], {}

    [result] = adapter.apply(decide([idle], Action.SCALE_DOWN), False)

    assert result.outcome is Outcome.SKIPPED and "no deployed models" in result.detail
    assert restored(store, idle) is None


def test_endpoint_deleted_before_the_scale_down_is_failed(
    endpoints: GcpFake, make: Any, store: LocalStore
) -> None:
    adapter = make(VertexEndpoints)
    idle = by_name(list(adapter.discover(TARGET)))["old-traffic"]
    with endpoints.world.lock:
        del endpoints.world.endpoints[idle.id]

    [result] = adapter.apply(decide([idle], Action.SCALE_DOWN), False)

    assert result.outcome is Outcome.FAILED and result.error.startswith("404")
    assert restored(store, idle) is None


def test_saved_deployment_without_models_is_refused(
    endpoints: GcpFake, make: Any, store: LocalStore, clock: Any
) -> None:
    from providers.restore import RestoreStore

    endpoints.add_endpoint(PROJECT, REGION, "9", "empty", {"idle-stop": "1h"}, [])
    adapter = make(VertexEndpoints)
    empty = by_name(list(adapter.discover(TARGET)))["empty"]
    RestoreStore(store).save(empty, {"deployedModels": [], "trafficSplit": {}}, clock.now)

    [result] = adapter.apply(decide([empty], Action.SCALE_UP), False)

    assert result.outcome is Outcome.FAILED and "saved deployment has no models" in result.error


def test_automatic_resources_are_unpriced_and_a_bad_create_time_counts_as_old(
    fake: GcpFake, make: Any
) -> None:
    automatic = {
        "id": "71",
        "model": f"{MODEL}/m71",
        "automaticResources": {"minReplicaCount": 1},
        "createTime": "yesterday",
    }
    fake.add_endpoint(PROJECT, REGION, "7", "auto", {"idle-stop": "1h"}, [automatic])

    [auto] = make(VertexEndpoints).discover(TARGET)

    assert auto.price is None  # billed per node the service picks: unknown, never guessed
    assert auto.size == "1 x automatic"
    assert auto.idle  # an unreadable deploy time does not keep it from being idle
