"""Vertex AI Workbench instances (Notebooks API v2) against the fake."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from gcp_helpers import OTHER_PROJECT, PROJECT, SCHEDULE, ZONE, by_name, decide

from providers.base import Action, Outcome, ResourceState, Target
from providers.gcp.rest import GcpApiError
from providers.gcp.workbench import WorkbenchInstances
from sandbox.gcp_fake import GcpFake

TARGET = Target("gcp", PROJECT)


def _state(fake: GcpFake, name: str, zone: str = ZONE) -> str:
    return str(fake.workbench(PROJECT, zone, name)["state"])


@pytest.fixture
def notebooks(fake: GcpFake) -> GcpFake:
    fake.add_workbench(
        PROJECT,
        ZONE,
        "ml-1",
        "n1-standard-4",
        {**SCHEDULE, "team": "ml"},
        gpus=("NVIDIA_TESLA_T4", 1),
    )
    fake.add_workbench(PROJECT, "us-central1-b", "ml-2", "e2-standard-4", SCHEDULE)
    fake.add_workbench(PROJECT, ZONE, "ml-off", "e2-standard-4", SCHEDULE, state="STOPPED")
    fake.add_workbench(PROJECT, ZONE, "ml-busy", "e2-standard-4", SCHEDULE, state="STARTING")
    fake.add_workbench(PROJECT, ZONE, "personal", "e2-standard-4", {"team": "ml"})
    return fake


def test_discover_across_locations_by_label(notebooks: GcpFake, make: Any) -> None:
    adapter = make(WorkbenchInstances)
    adapter_page = list(adapter.discover(TARGET))
    found = by_name(adapter_page)

    assert sorted(found) == ["ml-1", "ml-2", "ml-busy", "ml-off"]
    ml1 = found["ml-1"]
    assert ml1.id == f"projects/{PROJECT}/locations/{ZONE}/instances/ml-1"
    assert ml1.region == "europe-west4" and found["ml-2"].region == "us-central1"
    assert ml1.size == "n1-standard-4 + 1 x nvidia-tesla-t4"
    assert ml1.price is not None and ml1.price.hourly == pytest.approx(
        1.1 * (0.18997 + 0.35), rel=1e-4
    )
    assert ml1.state is ResourceState.RUNNING and ml1.started_at is not None
    assert found["ml-off"].state is ResourceState.STOPPED
    assert found["ml-busy"].state is ResourceState.TRANSITIONAL


def test_stop_then_start(notebooks: GcpFake, make: Any) -> None:
    adapter = make(WorkbenchInstances)
    running = [r for r in adapter.discover(TARGET) if r.state is ResourceState.RUNNING]

    results = list(adapter.apply(decide(running, Action.STOP), False))

    assert {r.outcome for r in results} == {Outcome.DONE}
    assert all("operation projects/" in r.detail for r in results)
    assert _state(notebooks, "ml-1") == "STOPPED"
    assert _state(notebooks, "ml-2", "us-central1-b") == "STOPPED"
    assert _state(notebooks, "personal") == "ACTIVE"

    stopped = [r for r in adapter.discover(TARGET) if r.name in ("ml-1", "ml-2")]
    results = list(adapter.apply(decide(stopped, Action.START), False))

    assert {r.outcome for r in results} == {Outcome.DONE}
    assert _state(notebooks, "ml-1") == "ACTIVE"


def test_failure_is_a_result_and_dry_run_changes_nothing(notebooks: GcpFake, make: Any) -> None:
    adapter = make(WorkbenchInstances)
    found = by_name(list(adapter.discover(TARGET)))
    notebooks.fail("instances/ml-1:stop", 409, "Instance is being upgraded.")

    dry = list(adapter.apply(decide([found["ml-1"], found["ml-2"]], Action.STOP), True))
    results = {
        r.resource.name: r
        for r in adapter.apply(decide([found["ml-1"], found["ml-2"]], Action.STOP), False)
    }

    assert {r.outcome for r in dry} == {Outcome.DRY_RUN}
    assert results["ml-1"].outcome is Outcome.FAILED and "being upgraded" in results["ml-1"].error
    assert results["ml-2"].outcome is Outcome.DONE
    assert _state(notebooks, "ml-1") == "ACTIVE"


def test_denied_project_raises_from_discover(notebooks: GcpFake, make: Any) -> None:
    notebooks.add_project(OTHER_PROJECT)
    notebooks.deny_project(OTHER_PROJECT)

    with pytest.raises(GcpApiError, match="403"):
        list(make(WorkbenchInstances).discover(Target("gcp", OTHER_PROJECT)))


def test_deleted_instances_and_unreadable_times(notebooks: GcpFake, make: Any) -> None:
    with notebooks.world.lock:
        for item in notebooks.world.workbench.values():
            if item["name"].endswith("/ml-2"):
                item["state"] = "DELETED"
            if item["name"].endswith("/ml-1"):
                item["updateTime"] = "not a time"

    found = by_name(list(make(WorkbenchInstances).discover(TARGET)))

    assert "ml-2" not in found  # being deleted: nothing to schedule
    assert found["ml-1"].state is ResourceState.RUNNING and found["ml-1"].started_at is None


def test_stop_goes_ahead_when_the_state_listing_fails(notebooks: GcpFake, make: Any) -> None:
    adapter = make(WorkbenchInstances)
    ml1 = by_name(list(adapter.discover(TARGET)))["ml-1"]
    notebooks.fail("/locations/-/instances", 503, "backend unavailable", method="GET", times=1)

    [result] = adapter.apply(decide([ml1], Action.STOP), False)

    assert result.outcome is Outcome.DONE and _state(notebooks, "ml-1") == "STOPPED"


def test_a_gateway_error_page_and_an_unreachable_api_fail_discovery_readably(
    notebooks: GcpFake, make: Any, connection: Any
) -> None:
    notebooks.fail("/locations/-/instances", 502, "Bad Gateway", html=True, times=1)

    with pytest.raises(GcpApiError, match=r"^502 GET .*: Bad Gateway$"):
        list(make(WorkbenchInstances).discover(TARGET))

    connection.config = replace(connection.config, endpoint_url="http://127.0.0.1:9")
    with pytest.raises(GcpApiError, match=r"^GET http://127.0.0.1:9/.*Connection refused") as err:
        list(make(WorkbenchInstances).discover(TARGET))
    assert err.value.code == 0
