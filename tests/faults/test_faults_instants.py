"""Bookings at the instant each action happened on the wire (issue 26, item 0).

In-process against moto's EC2 (``mock_aws``), the real job and adapters, with the job's
clock (``functions/jobs/job_clock.py``) driven by an injected monotonic clock. A botocore
``before-call`` hook on the connection's session stands where the cloud is: it notes the
job-clock instant each StopInstances/StartInstances went out (the truth "on the wire"),
and it either advances the monotonic clock (the seconds of back-off a throttling storm
costs) or answers as EC2 does when it has no capacity (``InsufficientInstanceCapacity``,
HTTP 500, per the EC2 API error-codes reference: "There is not enough capacity to fulfill
your request"). The ledger must equal price × the off-time seen on the wire, per resource,
to the cent.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse

from functions.jobs.job_clock import advancing
from functions.jobs.reconcile import reconcile
from functions.settings import Settings
from functions.wiring import build_job, connect
from ledger.book import read_records
from ledger.record import iso
from ledger.summary import window_summary
from sandbox.aws_fleet import Box, instance_states, launch, set_launch_time

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)
PRICE = 36.0  # $/h, so that a minute is $0.60: a misplaced instant cannot hide


class Monotonic:
    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds


class Wire:
    """The cloud's side: when each instance's stop or start went out (job clock)."""

    def __init__(self) -> None:
        self.clock: Callable[[], datetime] = lambda: MONDAY
        self.sent: dict[tuple[str, str], list[datetime]] = {}
        self.refuse: set[str] = set()
        self.backoff = 0.0
        self.monotonic = Monotonic()

    def hook(self, model: Any, params: dict[str, Any], **_: Any) -> Any:
        ids = [v for k, v in params["body"].items() if k.startswith("InstanceId.")]
        if model.name == "StartInstances" and self.refuse & set(ids):
            return _capacity_error()
        self.monotonic.seconds += self.backoff  # the SDK's back-off before this call
        for rid in ids:
            self.sent.setdefault((model.name, rid), []).append(self.clock())
        return None


def _capacity_error() -> tuple[AWSResponse, dict[str, Any]]:
    body = {
        "Error": {
            "Code": "InsufficientInstanceCapacity",
            "Message": "There is not enough capacity to fulfill your request.",
        },
        "ResponseMetadata": {"HTTPStatusCode": 500},
    }
    return AWSResponse("https://ec2.eu-west-1.amazonaws.com/", 500, {}, None), body


@pytest.fixture
def world(ec2: Any, tmp_path: Path) -> tuple[Any, Wire, Callable[[datetime], None]]:
    settings = Settings(
        providers=("aws",), ledger=str(tmp_path / "ledger"), kinds=("ec2",), batch_size=2
    ).replace(aws_regions=("eu-west-1",))
    connection = connect(settings, "aws")
    wire = Wire()
    connection.session.events.register("before-call.ec2.StopInstances", wire.hook)
    connection.session.events.register("before-call.ec2.StartInstances", wire.hook)

    def run(at: datetime) -> None:
        wire.clock = advancing(at, wire.monotonic)
        job = build_job(settings, wire.clock, connections={"aws": connection})
        reconcile(job)

    return settings, wire, run


def boxes(ec2: Any, n: int) -> dict[str, str]:
    tags = {"schedule": "office-hours", "hourly-cost": str(PRICE)}
    ids = {launch(ec2, Box(f"dev-{i:02d}", "t3.medium", tags)): f"dev-{i:02d}" for i in range(n)}
    for rid in ids:
        set_launch_time(rid, MONDAY - timedelta(days=3))
    return ids


def booked(settings: Settings) -> dict[str, tuple[str, str, float]]:
    """Per instance: the booking that closed its night (start, end, savings)."""
    store_rows = read_records(_store(settings))
    return {
        r["ResourceId"]: (r["ChargePeriodStart"], r["ChargePeriodEnd"], r["x_EstimatedSavings"])
        for r in store_rows
        if r["x_Action"] == "start" and r["ChargePeriodEnd"] > r["ChargePeriodStart"]
    }


def _store(settings: Settings) -> Any:
    from providers.store import LocalStore

    return LocalStore(settings.ledger)


def test_a_throttling_storm_books_each_stop_when_it_went_out(ec2: Any, world: Any) -> None:
    settings, wire, run = world
    ids = boxes(ec2, 12)
    wire.backoff = 20.0  # six batches of two, 20 s of back-off before each: 2 minutes
    run(MONDAY + timedelta(hours=19))
    assert set(instance_states(ec2).values()) == {"stopped"}
    stops = {rid: wire.sent[("StopInstances", rid)][0] for rid in ids}
    assert max(stops.values()) - min(stops.values()) == timedelta(seconds=100)
    wire.backoff = 0.0
    run(MONDAY + timedelta(hours=23))
    run(MONDAY + timedelta(days=1, hours=8))
    assert set(instance_states(ec2).values()) == {"running"}
    starts = {rid: wire.sent[("StartInstances", rid)][0] for rid in ids}
    rows = booked(settings)
    for rid in ids:
        truth = (starts[rid] - stops[rid]).total_seconds() / 3600 * PRICE
        assert rows[rid][:2] == (iso(stops[rid]), iso(starts[rid]))
        assert rows[rid][2] == pytest.approx(truth, abs=0.01)
    window = (MONDAY, MONDAY + timedelta(days=2))
    total = sum(s.saved for s in window_summary(_store(settings), *window))
    truth = sum((starts[r] - stops[r]).total_seconds() for r in ids) / 3600 * PRICE
    assert total == pytest.approx(truth, abs=0.01)


def test_no_capacity_on_the_morning_start_keeps_the_period_open_until_it_starts(
    ec2: Any, world: Any
) -> None:
    settings, wire, run = world
    ids = boxes(ec2, 6)
    short = sorted(ids)[:3]
    run(MONDAY + timedelta(hours=19))
    wire.refuse = set(short)
    morning = MONDAY + timedelta(days=1, hours=8, minutes=5)
    for k in range(3):  # 08:05, 08:20, 08:35: no capacity for three of them
        run(morning + timedelta(minutes=15 * k))
    states = instance_states(ec2)
    assert sorted(n for rid, n in ids.items() if states[n] == "stopped") == sorted(
        ids[r] for r in short
    )
    assert set(booked(settings)) == set(ids) - set(short)  # their periods are still open
    wire.refuse = set()
    run(morning + timedelta(minutes=45))  # 08:50: capacity again
    assert set(instance_states(ec2).values()) == {"running"}
    rows = booked(settings)
    for rid in ids:
        stop = wire.sent[("StopInstances", rid)][0]
        start = wire.sent[("StartInstances", rid)][-1]
        expected = morning + timedelta(minutes=45 if rid in short else 0)
        assert start == expected
        assert rows[rid][:2] == (iso(stop), iso(start))
        assert rows[rid][2] == pytest.approx((start - stop).total_seconds() / 3600 * PRICE)
