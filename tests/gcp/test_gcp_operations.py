"""Accepted is not done: every GCP adapter reports what its operation really did.

The fake's operations go PENDING -> RUNNING -> DONE one read at a time; ``fail_operation``
makes one end DONE with ``error`` after the API accepted it, ``hold_operation`` keeps one
RUNNING. The connection's deadline runs on a monotonic clock only its sleeps move, so
"still running at the deadline" takes no wall time.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from gcp_helpers import PROJECT, REGION, SCHEDULE, ZONE, by_name, decide, restored

from providers.base import Action, Outcome, ResourceState, Target
from providers.gcp.instance_groups import ManagedInstanceGroups
from providers.gcp.instances import GceInstances
from providers.gcp.vertex_endpoints import VertexEndpoints
from providers.gcp.workbench import WorkbenchInstances
from providers.store import LocalStore
from sandbox.gcp_fake import GcpFake

TARGET = Target("gcp", PROJECT)


def _status(fake: GcpFake, name: str) -> str:
    return str(fake.instance(PROJECT, ZONE, name)["status"])


def test_stop_outcomes_follow_the_operations(fake: GcpFake, make: Any) -> None:
    for name in ("ok", "bad", "slow"):
        fake.add_instance(PROJECT, ZONE, name, "e2-medium", SCHEDULE)
    fake.fail_operation("bad", "stop", "Instance is being protected from stopping.", "PROTECTED")
    fake.hold_operation("slow", "stop")
    adapter = make(GceInstances)
    found = list(adapter.discover(TARGET))

    results = {r.resource.name: r for r in adapter.apply(decide(found, Action.STOP), False)}

    assert results["ok"].outcome is Outcome.DONE and _status(fake, "ok") == "TERMINATED"
    assert results["bad"].outcome is Outcome.FAILED
    assert results["bad"].error == "PROTECTED: Instance is being protected from stopping."
    assert _status(fake, "bad") == "RUNNING"
    assert results["slow"].outcome is Outcome.ACCEPTED
    assert "still running at the deadline" in results["slow"].detail
    assert _status(fake, "slow") == "STOPPING"
    # The next discovery sees it in flight; once the cloud finishes, it is stopped.
    assert by_name(list(adapter.discover(TARGET)))["slow"].state is ResourceState.TRANSITIONAL
    fake.settle()
    assert by_name(list(adapter.discover(TARGET)))["slow"].state is ResourceState.STOPPED


def test_a_start_that_fails_after_acceptance_is_failed(fake: GcpFake, make: Any) -> None:
    fake.add_instance(PROJECT, ZONE, "off", "e2-medium", SCHEDULE, status="TERMINATED")
    fake.fail_operation("off", "start", "ZONE_RESOURCE_POOL_EXHAUSTED", "ZONE_RESOURCE_POOL")
    adapter = make(GceInstances)

    [result] = adapter.apply(decide(list(adapter.discover(TARGET)), Action.START), False)

    assert (result.outcome, _status(fake, "off")) == (Outcome.FAILED, "TERMINATED")
    assert "ZONE_RESOURCE_POOL_EXHAUSTED" in result.error


def test_resize_outcomes_and_the_saved_size(fake: GcpFake, make: Any, store: LocalStore) -> None:
    fake.add_template(PROJECT, "web-v1", "e2-standard-2", SCHEDULE)
    fake.add_mig(PROJECT, ZONE, "web", "web-v1", 3)
    fake.add_mig(PROJECT, ZONE, "api", "web-v1", 2)
    fake.fail_operation("api", "resize", "Quota exceeded.", "QUOTA_EXCEEDED")
    adapter = make(ManagedInstanceGroups)
    groups = by_name(list(adapter.discover(TARGET)))

    down = {
        r.resource.name: r
        for r in adapter.apply(decide(list(groups.values()), Action.SCALE_DOWN), False)
    }

    assert down["web"].outcome is Outcome.DONE
    assert down["api"].outcome is Outcome.FAILED and "Quota exceeded." in down["api"].error
    assert fake.mig(PROJECT, ZONE, "api")["targetSize"] == 2
    # Scaling back up while the resize is still running: accepted, the saved size kept.
    fake.hold_operation("web", "resize")
    [up] = adapter.apply(decide([groups["web"]], Action.SCALE_UP), False)
    assert up.outcome is Outcome.ACCEPTED
    assert restored(store, groups["web"]) is not None
    fake.settle()
    assert fake.mig(PROJECT, ZONE, "web")["targetSize"] == 3


def test_workbench_outcomes_follow_the_operations(fake: GcpFake, make: Any) -> None:
    for name in ("nb-ok", "nb-bad", "nb-slow"):
        fake.add_workbench(PROJECT, ZONE, name, "e2-standard-4", SCHEDULE)
    fake.fail_operation("nb-bad", "stop", "The instance has an active kernel session.")
    fake.hold_operation("nb-slow", "stop")
    adapter = make(WorkbenchInstances)

    found = list(adapter.discover(TARGET))
    results = {r.resource.name: r for r in adapter.apply(decide(found, Action.STOP), False)}

    state = {n: fake.workbench(PROJECT, ZONE, n)["state"] for n in results}
    assert (results["nb-ok"].outcome, state["nb-ok"]) == (Outcome.DONE, "STOPPED")
    assert (results["nb-bad"].outcome, state["nb-bad"]) == (Outcome.FAILED, "ACTIVE")
    assert "active kernel session" in results["nb-bad"].error
    assert (results["nb-slow"].outcome, state["nb-slow"]) == (Outcome.ACCEPTED, "STOPPING")


@pytest.fixture
def endpoint(fake: GcpFake) -> GcpFake:
    model = {
        "id": "11",
        "model": f"projects/{PROJECT}/locations/{REGION}/models/m",
        "dedicatedResources": {"machineSpec": {"machineType": "n1-standard-4"}},
    }
    fake.add_endpoint(PROJECT, REGION, "77", "idle", {"idle-stop": "60m"}, [model])
    return fake


def test_endpoint_undeploy_failing_after_acceptance_is_failed(endpoint: GcpFake, make: Any) -> None:
    endpoint.fail_operation("77", "undeployModel", "Deployed model is in use.")
    adapter = make(VertexEndpoints)
    [found] = adapter.discover(TARGET)

    [result] = adapter.apply(decide([found], Action.SCALE_DOWN), False)

    assert result.outcome is Outcome.FAILED and "Deployed model is in use." in result.error
    assert [m["id"] for m in endpoint.endpoint(PROJECT, REGION, "77")["deployedModels"]] == ["11"]


def test_endpoint_redeploy_still_running_is_accepted_and_keeps_the_spec(
    endpoint: GcpFake, make: Any, store: LocalStore
) -> None:
    adapter = make(VertexEndpoints)
    [found] = adapter.discover(TARGET)
    [down] = adapter.apply(decide([found], Action.SCALE_DOWN), False)
    endpoint.hold_operation("77", "deployModel")

    [up] = adapter.apply(decide([found], Action.SCALE_UP), False)

    assert down.outcome is Outcome.DONE
    assert up.outcome is Outcome.ACCEPTED and "saved spec kept" in up.detail
    saved = (restored(store, found) or {})["deployedModels"]
    endpoint.settle()
    [back] = endpoint.endpoint(PROJECT, REGION, "77")["deployedModels"]
    assert back["model"] == saved[0]["model"]  # the same model, under the id Vertex assigned


def test_operations_advance_one_read_at_a_time(fake: GcpFake, connection: Any, built: Any) -> None:
    built.permissions.update(GceInstances.permissions)
    fake.add_instance(PROJECT, ZONE, "vm", "e2-medium", SCHEDULE)
    session, compute = connection.session(), f"{fake.url}/compute.googleapis.com"
    url = f"{compute}/compute/v1/projects/{PROJECT}/zones/{ZONE}/instances/vm/stop"
    operation = session.post(url, timeout=10).json()
    read = operation["selfLink"].replace("https://www.googleapis.com", compute)

    steps = [operation["status"]]
    steps += [session.get(read, timeout=10).json()["status"] for _ in range(3)]

    assert steps == ["PENDING", "RUNNING", "DONE", "DONE"]
    assert _status(fake, "vm") == "TERMINATED"


def test_requests_without_a_token_are_unauthenticated(fake: GcpFake, built: Any) -> None:
    built.permissions.update(GceInstances.permissions)
    url = f"{fake.url}/compute.googleapis.com/compute/v1/projects/{PROJECT}/aggregated/instances"
    for headers in ({}, {"Authorization": "Bearer made-up"}):
        answer = requests.get(url, headers=headers, timeout=10)
        assert answer.status_code == 401
        assert answer.json()["error"]["status"] == "UNAUTHENTICATED"


def test_a_regional_host_answers_only_for_its_region(
    fake: GcpFake, connection: Any, built: Any
) -> None:
    built.permissions.update(VertexEndpoints.permissions)
    session = connection.session()
    wrong = connection.base_url("aiplatform", "us-central1")
    answer = session.get(f"{wrong}/projects/{PROJECT}/locations/{REGION}/endpoints", timeout=10)
    assert answer.status_code == 400
    right = connection.base_url("aiplatform", REGION)
    answer = session.get(f"{right}/projects/{PROJECT}/locations/{REGION}/endpoints", timeout=10)
    assert answer.status_code == 200
