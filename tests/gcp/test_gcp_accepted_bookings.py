"""The job books a GCP operation only once it is confirmed: an operation that fails after
it was accepted books nothing, one still running at the deadline is ``accepted`` and
booked from its accepted instant when the next discovery finds the VM stopped.

The fake follows the Compute Engine v1 REST shapes: operations go PENDING -> RUNNING ->
DONE (with ``error`` when a failure is injected), one step per read.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from gcp_helpers import PROJECT, ZONE

from functions.jobs.reconcile import Job, reconcile
from functions.settings import Settings
from functions.wiring import build_job
from ledger.book import read_records
from ledger.verify import verify
from providers import KINDS, load
from providers.base import Outcome
from providers.gcp.connection import GcpConnection
from sandbox.gcp_fake import GcpFake

NIGHT = datetime(2026, 11, 23, 19, 30, tzinfo=UTC)  # Monday, office-hours is off
MORNING = datetime(2026, 11, 24, 8, 30, tzinfo=UTC)


@pytest.fixture
def job(fake: GcpFake, built: Any, connection: GcpConnection, clock: Any, tmp_path: Any) -> Job:
    built.permissions.update(load(KINDS["gcp"]["instances"]).permissions)
    for name in ("vm-fails", "vm-slow", "vm-fine"):
        fake.add_instance(PROJECT, ZONE, name, "e2-standard-4", {"schedule": "office-hours"})
    settings = (
        Settings(providers=("gcp",), ledger=str(tmp_path / "ledger"))
        .replace(gcp_projects=(PROJECT,))
        .replace(kinds=("instances",))
    )
    return build_job(settings, clock, connections={"gcp": connection})


def run(job: Job, clock: Any, when: datetime) -> Any:
    clock.now = when
    return reconcile(job)


def status(fake: GcpFake, name: str) -> str:
    return str(fake.instance(PROJECT, ZONE, name)["status"])


def test_accepted_then_failed_books_nothing_and_accepted_then_done_books_from_acceptance(
    fake: GcpFake, job: Job, clock: Any
) -> None:
    fake.fail_operation("vm-fails", "stop")
    fake.hold_operation("vm-slow", "stop")
    night = run(job, clock, NIGHT)
    outcomes = {r.resource.name: r.outcome for r in night.results}
    assert outcomes == {
        "vm-fails": Outcome.FAILED,
        "vm-slow": Outcome.ACCEPTED,
        "vm-fine": Outcome.DONE,
    }
    assert status(fake, "vm-fails") == "RUNNING"  # the cloud took the stop, then failed it
    fake.settle()  # the held stop finishes after the run's deadline
    later = run(job, clock, NIGHT + timedelta(minutes=30))
    assert status(fake, "vm-fails") == "TERMINATED"  # planned again, stopped this time
    confirmed = [r for r in read_records(job.store) if r["x_Reason"].startswith("confirmed")]
    assert [(r["ResourceName"], r["ChargePeriodStart"]) for r in confirmed] == [
        ("vm-slow", "2026-11-23T19:30:00Z")
    ]
    assert later.errors == []
    run(job, clock, MORNING)
    hours = {
        r["ResourceName"]: r["x_AvoidedHours"]
        for r in read_records(job.store)
        if r["x_AvoidedHours"]
    }
    assert hours == {"vm-fine": 13.0, "vm-slow": 13.0, "vm-fails": 12.5}
    failed = [r for r in read_records(job.store) if r["x_Outcome"] == "failed"]
    assert [r["ResourceName"] for r in failed] == ["vm-fails"] and failed[0]["x_Error"]
    assert verify(job.store).ok
