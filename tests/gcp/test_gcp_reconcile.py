"""The reconcile job end to end on the GCP fake: the demo fleet through a night and a morning.

Built the way the entry points build it (Settings -> wiring -> registry), so this checks the
GCP adapters against the real planner and ledger, not only against their own tests.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from functions.jobs.reconcile import reconcile
from functions.settings import Settings
from functions.wiring import build_job, connect
from ledger.book import read_records
from providers import KINDS, load
from sandbox.gcp_fake import GcpFake
from sandbox.gcp_fake.demo import DEMO_PROJECT, REGION, ZONE, seed_demo_project

MONDAY_NIGHT = datetime(2026, 11, 23, 21, 0, tzinfo=UTC)
TUESDAY_MORNING = datetime(2026, 11, 24, 8, 15, tzinfo=UTC)


@pytest.fixture
def job(fake: GcpFake, built: Any, clock: Any, tmp_path: Any) -> Any:
    seed_demo_project(fake)
    for path in KINDS["gcp"].values():
        built.permissions.update(load(path).permissions)
    settings = Settings(providers=("gcp",), ledger=str(tmp_path / "ledger")).replace(
        gcp_projects=(DEMO_PROJECT,), gcp_endpoint_url=fake.url
    )
    return build_job(settings, clock, connections={"gcp": connect(settings, "gcp")})


def _run(job: Any, clock: Any, when: datetime) -> Any:
    clock.now = when
    return reconcile(job)


def test_night_stops_and_morning_starts_the_demo_fleet(fake: GcpFake, job: Any, clock: Any) -> None:
    night = _run(job, clock, MONDAY_NIGHT)

    assert night.errors == []
    assert {r.outcome.value for r in night.results if r.decision.action.value != "skip"} == {"done"}
    status = {i["name"]: i["status"] for i in fake.instances(DEMO_PROJECT)}
    assert status["dev-alice"] == "TERMINATED" and status["gpu-notebook"] == "TERMINATED"
    assert status["api-prod"] == "RUNNING"  # protected: environment=prod
    assert status["bastion"] == "RUNNING"  # no schedule label
    assert status["gpu-scratch"] == "RUNNING"  # Local SSD, no opt-in label: skipped
    assert status["etl-cache"] == "TERMINATED"  # Local SSD, opted in: data discarded
    assert not [n for n in status if n.startswith("render-workers-")]
    assert fake.mig(DEMO_PROJECT, ZONE, "render-workers")["targetSize"] == 0
    assert fake.workbench(DEMO_PROJECT, ZONE, "ml-workbench")["state"] == "STOPPED"
    assert fake.endpoint(DEMO_PROJECT, REGION, "4242424242")["deployedModels"] == []

    morning = _run(job, clock, TUESDAY_MORNING)

    assert morning.errors == []
    status = {i["name"]: i["status"] for i in fake.instances(DEMO_PROJECT)}
    assert status["dev-alice"] == "RUNNING" and status["gpu-notebook"] == "RUNNING"
    assert fake.mig(DEMO_PROJECT, ZONE, "render-workers")["targetSize"] == 3
    assert fake.workbench(DEMO_PROJECT, ZONE, "ml-workbench")["state"] == "ACTIVE"
    # The endpoint opted in by idleness only (no schedule label): it stays down until woken.
    assert fake.endpoint(DEMO_PROJECT, REGION, "4242424242")["deployedModels"] == []

    starts = [r for r in read_records(job.store) if r["x_Action"] in ("start", "scale-up")]
    assert {r["ResourceName"] for r in starts} == {
        "dev-alice",
        "dev-bob",
        "dev-carol",
        "ci-runner",
        "etl-cache",
        "gpu-notebook",
        "render-workers",
        "ml-workbench",
    }
    assert all(r["x_AvoidedHours"] == pytest.approx(11.25) for r in starts)
    assert all(r["x_EstimatedSavings"] > 0 for r in starts)


def test_dry_run_changes_nothing(fake: GcpFake, job: Any, clock: Any) -> None:
    dry = job.__class__(**{**job.__dict__, "dry_run": True})

    report = _run(dry, clock, MONDAY_NIGHT)

    assert {r.outcome.value for r in report.results} <= {"dry-run", "skipped"}
    assert any(r.outcome.value == "dry-run" for r in report.results)
    assert {i["status"] for i in fake.instances(DEMO_PROJECT)} == {"RUNNING"}
    assert fake.mig(DEMO_PROJECT, ZONE, "render-workers")["targetSize"] == 3
    assert len(fake.endpoint(DEMO_PROJECT, REGION, "4242424242")["deployedModels"]) == 1
