"""A run near the end of its time budget stops waiting for the cloud in time to book
what it did: the apply's deadline is the connection's own wait (``operation_timeout``)
cut to what the job has left, less the margin it keeps for the finish.

The GCP fake holds one stop ``RUNNING``; the connection's monotonic clock is a ticker
that only the adapter's sleeps move, and the job's time left is read from the same
ticker, so "at the budget" is checked exactly and takes no wall time.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from gcp_helpers import PROJECT, REGION, SCHEDULE, ZONE

from functions.jobs.reconcile import Job, reconcile
from functions.settings import Settings
from functions.wiring import build_job
from ledger.book import read_records
from ledger.run_state import TargetState, state_key
from providers import KINDS, load
from providers.base import Outcome, ProviderConfig
from providers.gcp.connection import GcpConnection
from sandbox.gcp_fake import GcpFake

NIGHT = datetime(2026, 11, 23, 19, 30, tzinfo=UTC)  # Monday, office-hours is off
BUDGET = 100.0  # seconds the platform gives the run


class Ticker:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


@pytest.fixture
def job(fake: GcpFake, built: Any, ticker: Ticker, clock: Any, tmp_path: Any) -> Job:
    built.permissions.update(load(KINDS["gcp"]["instances"]).permissions)
    for name in ("vm-slow", "vm-fine"):
        fake.add_instance(PROJECT, ZONE, name, "e2-standard-4", SCHEDULE)
    config = ProviderConfig(accounts=(PROJECT,), regions=(REGION,), endpoint_url=fake.url)
    connection = GcpConnection(config, monotonic=ticker, sleep=ticker.sleep)
    settings = (
        Settings(providers=("gcp",), ledger=str(tmp_path / "ledger"))
        .replace(gcp_projects=(PROJECT,))
        .replace(kinds=("instances",))
    )
    clock.now = NIGHT
    return build_job(settings, clock, connections={"gcp": connection})


def budgeted(job: Job, ticker: Ticker) -> Job:
    """The job as a platform starts it now, with ``BUDGET`` seconds to run."""
    started = ticker.now
    return replace(job, time_left=lambda: BUDGET - (ticker.now - started))


def state(job: Job) -> TargetState:
    raw = job.store.get(state_key("gcp", PROJECT, ""))
    assert raw is not None
    return TargetState.from_json(raw)


def test_a_run_with_a_small_budget_records_accepted_at_the_budget_and_books_it(
    fake: GcpFake, job: Job, ticker: Ticker, clock: Any
) -> None:
    fake.hold_operation("vm-slow", "stop")

    report = reconcile(budgeted(job, ticker))

    outcomes = {r.resource.name: r.outcome for r in report.results}
    assert outcomes == {"vm-slow": Outcome.ACCEPTED, "vm-fine": Outcome.DONE}
    # It stopped waiting where the budget less the finish margin ends, long before the
    # connection's own 240 s, and with the margin still left for the finish.
    spent = ticker.now
    assert BUDGET - job.finish_margin - 5.0 <= spent <= BUDGET - job.finish_margin
    assert report.errors == []
    # The finish write landed: lease released, results booked, the ledger object written.
    after = state(job)
    assert after.lease is None and after.last_run == NIGHT and after.pending == {}
    rows = {r["ResourceName"]: r["x_Outcome"] for r in read_records(job.store)}
    assert rows == {"vm-slow": "accepted", "vm-fine": "done"}
    assert fake.instance(PROJECT, ZONE, "vm-slow")["status"] == "STOPPING"

    fake.settle()  # the stop finishes after the run
    clock.now = NIGHT + timedelta(minutes=15)
    assert reconcile(budgeted(job, ticker)).errors == []
    confirmed = [r for r in read_records(job.store) if r["x_Reason"].startswith("confirmed")]
    assert [(r["ResourceName"], r["ChargePeriodStart"]) for r in confirmed] == [
        ("vm-slow", "2026-11-23T19:30:00Z")
    ]


def test_without_a_budget_the_connection_waits_its_own_time(
    fake: GcpFake, job: Job, ticker: Ticker
) -> None:
    fake.hold_operation("vm-slow", "stop")
    report = reconcile(job)
    assert {r.resource.name: r.outcome for r in report.results}["vm-slow"] is Outcome.ACCEPTED
    assert ticker.now > BUDGET  # up to operation_timeout (240 s): no budget cut it


def test_a_budget_already_spent_waits_not_at_all_and_still_books(
    fake: GcpFake, job: Job, ticker: Ticker
) -> None:
    """Enough left to start the target (``min_seconds_per_target``) but less than the
    finish margin: the stop is asked for, not waited for."""
    fake.hold_operation("vm-slow", "stop")
    nearly_spent = replace(job, time_left=lambda: 25.0, min_seconds_per_target=10.0)
    report = reconcile(nearly_spent)
    assert {r.resource.name for r in report.results if r.outcome is Outcome.ACCEPTED} == {
        "vm-slow",
        "vm-fine",
    }
    assert ticker.now == 0.0
    assert state(job).lease is None
    assert len(list(read_records(job.store))) == 2
