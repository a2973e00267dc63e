"""A stop-only schedule end to end on moto's EC2: instance states, ledger, showback, explain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from functions.cli.main import main
from functions.jobs.reconcile import Job, reconcile
from functions.settings import Settings
from functions.wiring import build_job, connect
from ledger.book import read_records
from ledger.record import iso
from ledger.showback import totals
from ledger.summary import window_summary
from sandbox.aws_fleet import Box, instance_states, launch, set_launch_time

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)
STOP_ONLY = {"schedule": "stop-only 19:00 UTC", "team": "data"}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute)


@pytest.fixture
def job(tmp_path: Path, clock: Any) -> Job:
    settings = Settings(
        providers=("aws",), ledger=str(tmp_path / "ledger"), kinds=("ec2",)
    ).replace(aws_regions=("eu-west-1",))
    return build_job(settings, clock, connections={"aws": connect(settings, "aws")})


def runs(job: Job, clock: Any, start: datetime, end: datetime, every: int = 15) -> None:
    step = start
    while step <= end:
        clock.now = step
        reconcile(job)
        step += timedelta(minutes=every)


def test_stopped_at_the_stop_then_a_start_by_hand_is_left_running(
    ec2: Any, job: Job, clock: Any
) -> None:
    box = launch(ec2, Box("dana", "t3.large", STOP_ONLY))
    set_launch_time(box, at(-3, 9))
    runs(job, clock, at(0, 18), at(0, 20, 45))
    assert instance_states(ec2) == {"dana": "stopped"}
    # Dana starts it at 21:00: it runs through the evening (no grace period to run out)
    # and the next morning, until Tuesday's stop.
    ec2.start_instances(InstanceIds=[box])
    set_launch_time(box, at(0, 21))
    runs(job, clock, at(0, 21), at(0, 23, 45))
    runs(job, clock, at(1, 0), at(1, 18), every=60)
    assert instance_states(ec2) == {"dana": "running"}
    runs(job, clock, at(1, 19), at(1, 20))
    assert instance_states(ec2) == {"dana": "stopped"}

    every = sorted(read_records(job.store), key=lambda r: r["ChargePeriodStart"])
    records = [r for r in every if r["x_Action"] != "still-off"]
    actions = [(r["x_Action"], r["x_Outcome"]) for r in records]
    assert actions == [("stop", "done"), ("start", "observed"), ("stop", "done")]
    # What runs saw still off, at most once an hour per target: the 20:00 runs.
    checkpoints = [r for r in every if r["x_Action"] == "still-off"]
    seen = [(r["ChargePeriodStart"], r["ChargePeriodEnd"]) for r in checkpoints]
    assert seen == [(iso(at(0, 19)), iso(at(0, 20))), (iso(at(1, 19)), iso(at(1, 20)))]
    # One id per off-period: its stop, its checkpoints and its booking.
    first, second = (r["x_PeriodId"] for r in checkpoints)
    assert records[0]["x_PeriodId"] == records[1]["x_PeriodId"] == first
    assert records[2]["x_PeriodId"] == second != first
    back = records[1]
    assert back["x_AvoidedHours"] == pytest.approx(2.0)  # 19:00 to the start by hand at 21:00
    # The showback window is the same as for any resource: price x the window's hours.
    window = (at(0, 0), at(2, 0))
    (item,) = window_summary(job.store, *window)
    # 2 booked + 1 still off since Tuesday 19:00, as the 20:00 run saw it
    assert item.hours_off == pytest.approx(3.0)
    assert item.hourly_price is not None
    summed = totals([item], window_hours=48)
    assert summed.would == pytest.approx(item.hourly_price * 48)
    assert summed.saved == pytest.approx(item.hourly_price * 3)


def test_a_missed_evening_run_is_caught_up_at_23_but_not_the_next_morning(
    ec2: Any, job: Job, clock: Any
) -> None:
    late = launch(ec2, Box("late", "t3.large", STOP_ONLY))
    set_launch_time(late, at(-3, 9))
    runs(job, clock, at(0, 18, 30), at(0, 18, 45))  # then nothing until 23:00
    runs(job, clock, at(0, 23), at(0, 23))
    assert instance_states(ec2) == {"late": "stopped"}

    ec2.start_instances(InstanceIds=[late])
    set_launch_time(late, at(1, 9))
    runs(job, clock, at(1, 18, 45), at(1, 18, 45))  # the last run before the stop, then none
    runs(job, clock, at(2, 8), at(2, 8, 15))  # next morning: outside the window
    assert instance_states(ec2) == {"late": "running"}


def test_explain_shows_the_stop_only_schedule(
    ec2: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    launch(ec2, Box("dana", "t3.large", STOP_ONLY))
    common = ["--region", "eu-west-1", "--ledger", str(tmp_path)]
    assert main(["explain", "dana", *common, "--at", "2026-11-23T20:00:00+00:00"]) == 0
    out = capsys.readouterr().out
    assert "schedule:   stop-only 19:00 UTC (UTC, stop-only)" in out
    assert (
        "desired:    stopped (catching up the switch at 2026-11-23T19:00:00+00:00 until "
        "2026-11-24T00:00:00+00:00) at 2026-11-23T20:00:00+00:00"
    ) in out
    assert "next:       2026-11-24T19:00:00+00:00 -> stop" in out
    assert "decision:   stop: stop-only 19:00 UTC: stop-only, stop at Mon 19:00 UTC" in out
    assert main(["explain", "dana", *common, "--at", "2026-11-24T09:00:00+00:00"]) == 0
    out = capsys.readouterr().out
    assert "desired:    as-is (outside every catch-up window" in out
    assert "decision:   skip: stop-only 19:00 UTC: stop-only, nothing to do until the next" in out
