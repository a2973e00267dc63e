"""A run always finishes its bookkeeping (issue 22): whatever raises inside one target's
run, the other kinds' outcomes are booked, actions whose outcome is unknown keep their
intents for the next discovery to confirm, the lease is released, and the error is one
line in the report with its traceback in the log. moto's EC2 and RDS, the local store."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.jobs.notices import build_step
from functions.jobs.reconcile import Job, RunReport, reconcile
from functions.settings import Settings
from functions.wiring import build_job, connect
from ledger.book import read_records
from ledger.run_state import TargetState, state_key
from providers.base import Result
from sandbox.aws_fleet import Box, instance_states, launch

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)  # office-hours in UTC: Mon-Fri 08:00-19:00
STOP = MONDAY + timedelta(hours=19, minutes=5)
NEXT = STOP + timedelta(minutes=30)
TUESDAY = MONDAY + timedelta(days=1, hours=8, minutes=5)
SCHEDULE = {"schedule": "office-hours"}


class Bug(RuntimeError):
    """A defect in offhours' own code, not a cloud error."""


class StopsThenRaises:
    """The real EC2 adapter, with a bug after the cloud has acted: its results are lost."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.kind = inner, inner.kind

    def apply(self, decisions: Any, dry_run: bool) -> list[Result]:
        list(self.inner.apply(decisions, dry_run))
        raise Bug("index out of range")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture
def rds(aws: None) -> Any:
    import boto3

    client = boto3.client("rds", region_name="eu-west-1")
    client.create_db_instance(
        DBInstanceIdentifier="dev-db",
        DBInstanceClass="db.t3.medium",
        Engine="postgres",
        MasterUsername="admin",
        MasterUserPassword="password123",
        AllocatedStorage=20,
        Tags=[{"Key": "schedule", "Value": "office-hours"}],
    )
    return client


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return Settings(
        providers=("aws",), ledger=str(tmp_path / "ledger"), kinds=("ec2", "rds")
    ).replace(aws_regions=("eu-west-1",))


def make_job(settings: Settings, clock: Any) -> Job:
    return build_job(settings, clock, connections={"aws": connect(settings, "aws")})


def run(job: Job, clock: Any, when: datetime) -> RunReport:
    clock.now = when
    return reconcile(job)


def state_of(job: Job) -> TargetState:
    data = job.store.get(state_key("aws", "123456789012", "eu-west-1"))
    assert data is not None
    return TargetState.from_json(data)


def booked(job: Job, name: str) -> list[tuple[str, str]]:
    return [
        (r["x_Action"], r["x_Outcome"])
        for r in read_records(job.store)
        # Still-off checkpoints say a period is open; they book nothing.
        if r["ResourceName"] == name and r["x_Action"] != "still-off"
    ]


@contextmanager
def logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """The product's log records, whatever an earlier ``offhours`` command did to the
    ``offhours`` logger (the command line raises its level and stops it propagating)."""
    product = logging.getLogger("offhours")
    product.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.ERROR, logger="offhours"):
            yield
    finally:
        product.removeHandler(caplog.handler)


def db_status(rds: Any) -> str:
    return str(rds.describe_db_instances()["DBInstances"][0]["DBInstanceStatus"])


def test_a_bug_in_one_kinds_handler_loses_no_booking(
    ec2: Any, rds: Any, settings: Settings, clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Before: the EC2 stops were recorded ``failed`` and their intents deleted, so the
    box that really stopped got no off-period and its night was never booked."""
    launch(ec2, Box("dev", "t3.medium", SCHEDULE))
    job = make_job(settings, clock)
    buggy = replace(
        job,
        adapters={
            "aws": [StopsThenRaises(a) if a.kind == "ec2" else a for a in job.adapters["aws"]]
        },
    )
    with logged(caplog):
        report = run(buggy, clock, STOP)
    assert instance_states(ec2) == {"dev": "stopped"} and db_status(rds) == "stopped"
    [error] = report.errors
    assert "ec2: apply raised Bug: index out of range" in error and "unknown" in error
    assert any(r.exc_info and r.exc_info[0] is Bug for r in caplog.records)  # traceback
    assert booked(job, "dev-db") == [("stop", "done")]  # the other kind is booked
    assert booked(job, "dev") == []  # nothing claimed failed, nothing guessed
    state = state_of(job)
    assert state.lease is None
    assert [k.split("/")[3] for k in state.intents] == ["ec2"]
    # The next run sees the box stopped: the stop is confirmed and its night booked.
    run(job, clock, NEXT)
    assert booked(job, "dev") == [("stop", "done")]
    run(job, clock, TUESDAY)
    start = [
        r
        for r in read_records(job.store)
        if r["ResourceName"] == "dev" and r["x_Action"] == "start"
    ]
    assert [r["x_AvoidedHours"] for r in start] == [pytest.approx(13.0)]
    assert instance_states(ec2) == {"dev": "running"}


def test_a_bug_while_booking_releases_the_lease_and_keeps_the_intents(
    ec2: Any, rds: Any, settings: Settings, clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug after the cloud acted, inside the finishing write (here in the notice step's
    bookkeeping): before, the lease stayed and the run five minutes later did nothing."""
    launch(ec2, Box("dev", "t3.medium", {**SCHEDULE, "owner": "a@example.com"}))
    settings = settings.replace(notice_transport="smtp", smtp_host="127.0.0.1")
    job = make_job(settings, clock)
    step = build_step(settings)
    assert step is not None

    class BuggyRecord(type(step)):  # type: ignore[misc]
        def record(self, state: Any, outcomes: Any, run_id: str) -> None:
            raise Bug("bookkeeping defect")

    buggy = replace(job, notices=BuggyRecord(step.config, step.senders, step.links))
    with logged(caplog):
        report = run(buggy, clock, STOP)
    assert [e.split(": ", 1)[1] for e in report.errors] == ["Bug: bookkeeping defect"]
    assert any(r.exc_info and r.exc_info[0] is Bug for r in caplog.records)
    assert instance_states(ec2) == {"dev": "stopped"} and db_status(rds) == "stopped"
    state = state_of(job)
    assert state.lease is None
    assert sorted(k.split("/")[3] for k in state.intents) == ["ec2", "rds"]
    # Not locked out: the next run confirms both stops from what it sees.
    later = run(job, clock, NEXT)
    assert later.errors == []
    assert booked(job, "dev") == [("stop", "done")]
    assert booked(job, "dev-db") == [("stop", "done")]
