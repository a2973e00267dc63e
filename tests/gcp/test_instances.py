"""Compute Engine instances against the fake, through google-cloud-compute's REST transport."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from gcp_helpers import OTHER_PROJECT, PROJECT, SCHEDULE, ZONE, by_name, decide
from google.api_core.exceptions import Forbidden

from providers.base import Action, Outcome, ResourceState, Target
from providers.gcp.instances import GceInstances
from sandbox.gcp_fake import GcpFake

TARGET = Target("gcp", PROJECT)


def _status(fake: GcpFake, name: str, zone: str = ZONE) -> str:
    return str(fake.instance(PROJECT, zone, name)["status"])


def test_discover_filters_by_label_on_the_server_and_pages(fake: GcpFake, make: Any) -> None:
    for i in range(8):
        fake.add_instance(
            PROJECT, ZONE if i % 2 else "us-east1-b", f"dev-{i}", "e2-medium", SCHEDULE
        )
    for i in range(4):
        fake.add_instance(PROJECT, ZONE, f"plain-{i}", "e2-medium", {"team": "x"})
    adapter = make(GceInstances)
    adapter.page_size = 3
    fake.clear_requests()

    found = list(adapter.discover(TARGET))

    assert sorted(r.name for r in found) == [f"dev-{i}" for i in range(8)]
    # 8 labelled instances at 3 a page: the 4 unlabelled ones never left the server.
    pages = [p for m, p in fake.requests if p.endswith("/aggregated/instances")]
    assert len(pages) == 3


def test_resource_fields(fake: GcpFake, make: Any) -> None:
    started = datetime.fromisoformat("2026-11-23T07:30:00+00:00")
    fake.add_instance(
        PROJECT, ZONE, "web", "n2-standard-4", {**SCHEDULE, "team": "web"}, started=started
    )
    fake.add_instance(PROJECT, ZONE, "off", "e2-standard-2", SCHEDULE, status="TERMINATED")
    fake.add_instance(PROJECT, ZONE, "nap", "e2-standard-2", SCHEDULE, status="SUSPENDED")
    fake.add_instance(PROJECT, ZONE, "busy", "e2-standard-2", SCHEDULE, status="STOPPING")
    fake.add_instance(PROJECT, ZONE, "custom", "n2-custom-6-23040", SCHEDULE)
    fake.add_instance(PROJECT, ZONE, "gpu", "n1-standard-8", SCHEDULE, gpus=("nvidia-tesla-t4", 2))
    fake.add_instance(PROJECT, ZONE, "rated", "e2-standard-2", {**SCHEDULE, "hourly-cost": "1.5"})
    fake.add_instance(
        PROJECT,
        ZONE,
        "mig-abcd",
        "e2-standard-2",
        SCHEDULE,
        metadata={"created-by": f"projects/1/zones/{ZONE}/instanceGroupManagers/web"},
    )

    found = by_name(list(make(GceInstances).discover(TARGET)))

    web = found["web"]
    assert web.id == f"projects/{PROJECT}/zones/{ZONE}/instances/web"
    assert (web.provider, web.account, web.region, web.kind) == (
        "gcp",
        PROJECT,
        "europe-west4",
        "instances",
    )
    assert web.state is ResourceState.RUNNING and web.size == "n2-standard-4"
    assert web.tags == {"schedule": "office-hours", "team": "web"}
    assert web.started_at == started  # Pacific-time timestamp read with its offset
    assert web.price is not None and web.price.hourly == pytest.approx(0.21366, rel=1e-3)
    assert found["off"].state is ResourceState.STOPPED
    assert found["nap"].state is ResourceState.STOPPED
    assert found["busy"].state is ResourceState.TRANSITIONAL
    assert found["custom"].price is None  # unknown, never guessed
    gpu_price = found["gpu"].price
    assert gpu_price is not None and gpu_price.hourly == pytest.approx(
        1.1 * (0.37994 + 0.7), rel=1e-4
    )
    assert found["rated"].price is not None and found["rated"].price.hourly == 1.5
    assert "managed instance group web" in found["mig-abcd"].unmanaged_reason
    assert found["web"].unmanaged_reason == ""


def test_stop_then_start(fake: GcpFake, make: Any) -> None:
    for name in ("a", "b", "c"):
        fake.add_instance(PROJECT, ZONE, name, "e2-medium", SCHEDULE)
    adapter = make(GceInstances)

    results = list(adapter.apply(decide(list(adapter.discover(TARGET)), Action.STOP), False))

    assert [r.outcome for r in results] == [Outcome.DONE] * 3
    assert all("operation operation-" in r.detail for r in results)
    assert {_status(fake, n) for n in "abc"} == {"TERMINATED"}
    stopped = list(adapter.discover(TARGET))
    assert {r.state for r in stopped} == {ResourceState.STOPPED}

    results = list(adapter.apply(decide(stopped, Action.START), False))

    assert [r.outcome for r in results] == [Outcome.DONE] * 3
    assert {_status(fake, n) for n in "abc"} == {"RUNNING"}


def test_hibernate_suspends_and_start_resumes(fake: GcpFake, make: Any) -> None:
    fake.add_instance(PROJECT, ZONE, "dev", "e2-standard-4", SCHEDULE)
    fake.add_instance(PROJECT, ZONE, "gpu", "g2-standard-8", SCHEDULE, gpus=("nvidia-l4", 1))
    adapter = make(GceInstances)

    decisions = decide(list(adapter.discover(TARGET)), Action.STOP, hibernate=True)
    results = {r.resource.name: r for r in adapter.apply(decisions, False)}

    assert _status(fake, "dev") == "SUSPENDED"
    assert _status(fake, "gpu") == "TERMINATED"  # GPUs cannot suspend: stopped instead
    assert "stopped instead" in results["gpu"].detail
    assert results["gpu"].outcome is Outcome.DONE

    results = {
        r.resource.name: r
        for r in adapter.apply(decide(list(adapter.discover(TARGET)), Action.START), False)
    }

    assert {r.outcome for r in results.values()} == {Outcome.DONE}
    assert results["dev"].detail.startswith("resume")
    assert _status(fake, "dev") == "RUNNING" and _status(fake, "gpu") == "RUNNING"


def test_refused_suspend_falls_back_to_stop(fake: GcpFake, make: Any) -> None:
    fake.add_instance(PROJECT, ZONE, "big", "n2-highmem-16", SCHEDULE)
    fake.fail("instances/big/suspend", 400, "Suspend is not supported for this machine type.")
    adapter = make(GceInstances)

    [result] = adapter.apply(
        decide(list(adapter.discover(TARGET)), Action.STOP, hibernate=True), False
    )

    assert result.outcome is Outcome.DONE
    assert "suspend refused" in result.detail and "not supported" in result.detail
    assert _status(fake, "big") == "TERMINATED"


def test_one_failing_stop_does_not_stop_the_others(fake: GcpFake, make: Any) -> None:
    for i in range(6):
        fake.add_instance(PROJECT, ZONE, f"dev-{i}", "e2-medium", SCHEDULE)
    fake.fail("instances/dev-3/stop", 503, "The service is currently unavailable.")
    adapter = make(GceInstances, max_workers=3)

    results = {
        r.resource.name: r
        for r in adapter.apply(decide(list(adapter.discover(TARGET)), Action.STOP), False)
    }

    assert results["dev-3"].outcome is Outcome.FAILED
    assert "503" in results["dev-3"].error and "currently unavailable" in results["dev-3"].error
    assert _status(fake, "dev-3") == "RUNNING"
    for i in (0, 1, 2, 4, 5):
        assert results[f"dev-{i}"].outcome is Outcome.DONE
        assert _status(fake, f"dev-{i}") == "TERMINATED"


def test_instance_gone_between_discover_and_apply_is_a_failed_result(
    fake: GcpFake, make: Any
) -> None:
    fake.add_instance(PROJECT, ZONE, "dev", "e2-medium", SCHEDULE)
    adapter = make(GceInstances)
    resources = list(adapter.discover(TARGET))
    del fake.world.instances[(PROJECT, ZONE, "dev")]

    [result] = adapter.apply(decide(resources, Action.STOP), False)

    assert result.outcome is Outcome.FAILED and "404" in result.error


def test_dry_run_changes_nothing(fake: GcpFake, make: Any, clock: Any) -> None:
    fake.add_instance(PROJECT, ZONE, "a", "e2-medium", SCHEDULE)
    fake.add_instance(PROJECT, ZONE, "b", "e2-medium", SCHEDULE)
    adapter = make(GceInstances)
    a, b = sorted(adapter.discover(TARGET), key=lambda r: r.name)
    fake.clear_requests()

    results = list(adapter.apply([*decide([a], Action.STOP), *decide([b], Action.SKIP)], True))

    assert [r.outcome for r in results] == [Outcome.DRY_RUN, Outcome.SKIPPED]
    assert all(r.at == clock.now for r in results)
    assert fake.requests == []
    assert _status(fake, "a") == "RUNNING"


def test_skip_and_unsupported_actions(fake: GcpFake, make: Any) -> None:
    fake.add_instance(PROJECT, ZONE, "a", "e2-medium", SCHEDULE)
    adapter = make(GceInstances)
    resources = list(adapter.discover(TARGET))

    [skip] = adapter.apply(decide(resources, Action.SKIP), False)
    [scale] = adapter.apply(decide(resources, Action.SCALE_DOWN), False)

    assert skip.outcome is Outcome.SKIPPED
    assert scale.outcome is Outcome.FAILED and "cannot scale-down" in scale.error
    assert _status(fake, "a") == "RUNNING"


def test_denied_project_raises_from_discover_only_for_that_project(
    fake: GcpFake, make: Any
) -> None:
    fake.add_instance(PROJECT, ZONE, "ok", "e2-medium", SCHEDULE)
    fake.add_instance(OTHER_PROJECT, ZONE, "hidden", "e2-medium", SCHEDULE)
    fake.deny_project(OTHER_PROJECT)
    adapter = make(GceInstances)

    with pytest.raises(Forbidden, match="permission denied"):
        list(adapter.discover(Target("gcp", OTHER_PROJECT)))
    assert [r.name for r in adapter.discover(TARGET)] == ["ok"]


def test_denied_action_is_a_failed_result(fake: GcpFake, make: Any) -> None:
    fake.add_instance(PROJECT, ZONE, "a", "e2-medium", SCHEDULE)
    adapter = make(GceInstances)
    resources = list(adapter.discover(TARGET))
    fake.deny_project(PROJECT)

    [result] = adapter.apply(decide(resources, Action.STOP), False)

    assert result.outcome is Outcome.FAILED and result.error.startswith("403")
    assert _status(fake, "a") == "RUNNING"


def test_vms_another_service_owns_are_unmanaged(fake: GcpFake, make: Any) -> None:
    fake.add_instance(PROJECT, ZONE, "gke-node", "e2-medium", {**SCHEDULE, "goog-gke-node": ""})
    fake.add_instance(
        PROJECT, ZONE, "nb", "e2-medium", {**SCHEDULE, "goog-workbench-instance": "true"}
    )
    with fake.world.lock:  # a timestamp the API never writes: read as unknown, not a crash
        fake.world.instances[(PROJECT, ZONE, "nb")]["lastStartTimestamp"] = "yesterday"

    found = by_name(list(make(GceInstances).discover(TARGET)))

    assert found["gke-node"].unmanaged_reason == "managed by a GKE node"
    assert "use the workbench kind" in found["nb"].unmanaged_reason
    assert found["nb"].started_at is None


def test_inventory_lists_unlabelled_vms_too(fake: GcpFake, make: Any) -> None:
    fake.add_instance(PROJECT, ZONE, "tagged", "e2-medium", SCHEDULE)
    fake.add_instance(PROJECT, ZONE, "plain", "g2-standard-8", {}, gpus=("nvidia-l4", 1))

    found = by_name(list(make(GceInstances).inventory(TARGET)))

    assert sorted(found) == ["plain", "tagged"] and found["plain"].accelerator
