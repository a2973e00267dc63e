"""The run protocol on one target (lease, write-ahead intents, compare-and-swap state,
bookings from observation), in process: moto's EC2 and a local ledger whose writes can
fail or kill the run at a chosen call. ``tests/faults/`` drives the same failures through
the console script over HTTP; these are the quick, exact versions.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.jobs.reconcile import Job, RunReport, reconcile
from functions.settings import Settings
from functions.wiring import build_job, connect
from ledger.book import read_records
from ledger.run_state import TargetState, state_key
from ledger.verify import verify
from providers.store import LocalStore, StoreError, Versioned
from sandbox.aws_fleet import Box, instance_states, launch

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)  # office-hours in UTC: Mon-Fri 08:00-19:00
ACCOUNT = "123456789012"
KEY = state_key("aws", ACCOUNT, "eu-west-1")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute)


class Killed(BaseException):
    """The process died here (a BaseException: no ``except Exception`` catches it)."""


class FaultyStore:
    """A LocalStore whose ``put_if`` calls can be made to fail or to kill the run."""

    def __init__(self, root: Any) -> None:
        self.inner = LocalStore(root)
        self.url = self.inner.url
        self.kill_at: int | None = None  # kill on this conditional write (1-based)
        self.fail_writes = False
        self.writes = 0

    def _write(self) -> None:
        self.writes += 1
        if self.fail_writes:
            raise StoreError("503 SlowDown: the store is unavailable")
        if self.kill_at is not None and self.writes == self.kill_at:
            self.kill_at = None
            raise Killed

    def put(self, key: str, data: bytes) -> None:
        if self.fail_writes:
            raise StoreError("503 SlowDown: the store is unavailable")
        self.inner.put(key, data)

    def put_if(self, key: str, data: bytes, version: str) -> str:
        self._write()
        return self.inner.put_if(key, data, version)

    def get(self, key: str) -> bytes | None:
        return self.inner.get(key)

    def read(self, key: str) -> Versioned:
        return self.inner.read(key)

    def list(self, prefix: str) -> Any:
        return self.inner.list(prefix)

    def delete(self, key: str) -> None:
        self.inner.delete(key)


@pytest.fixture
def store(tmp_path: Any) -> FaultyStore:
    return FaultyStore(tmp_path / "ledger")


@pytest.fixture
def job(ec2: Any, store: FaultyStore, clock: Any, tmp_path: Any) -> Job:
    settings = (
        Settings(providers=("aws",), ledger=str(tmp_path / "unused"))
        .replace(aws_regions=("eu-west-1",))
        .replace(kinds=("ec2",))
    )
    built = build_job(settings, clock, connections={"aws": connect(settings, "aws")}, store=store)  # type: ignore[arg-type]
    return replace(built, max_workers=1)


def run(job: Job, clock: Any, when: datetime) -> RunReport:
    clock.now = when
    return reconcile(job)


def bookings(store: FaultyStore) -> dict[str, float]:
    """Avoided hours booked per instance name (still-off checkpoints are not bookings)."""
    hours: dict[str, float] = {}
    for row in read_records(store.inner):
        if row["x_AvoidedHours"] and row["x_Action"] != "still-off":
            name = row["ResourceName"]
            hours[name] = hours.get(name, 0.0) + row["x_AvoidedHours"]
    return hours


def fleet(ec2: Any, n: int = 3) -> list[str]:
    names = [f"dev-{i}" for i in range(n)]
    for name in names:
        launch(ec2, Box(name, "t3.medium", {"schedule": "office-hours"}))
    return names


def test_killed_after_stopping_before_booking_loses_nothing(
    ec2: Any, job: Job, store: FaultyStore, clock: Any
) -> None:
    names = fleet(ec2)
    store.kill_at = 2  # 1: intents + lease, 2: the booking write
    with pytest.raises(Killed):
        run(job, clock, at(0, 19, 5))
    assert set(instance_states(ec2).values()) == {"stopped"}  # the calls went through
    state = TargetState.from_json(store.get(KEY) or b"")
    assert len(state.intents) == 3 and state.lease is not None
    # Within the lease another run leaves the target alone and says why.
    held = run(job, clock, at(0, 19, 10))
    assert any(
        f"another run holds the lease on aws:{ACCOUNT}/eu-west-1 until" in e for e in held.errors
    )
    run(job, clock, at(0, 19, 20))  # the lease expired: intents adopted at their instant
    run(job, clock, at(1, 8, 5))
    assert set(instance_states(ec2).values()) == {"running"}
    assert bookings(store) == {name: pytest.approx(13.0) for name in names}
    assert verify(store.inner).ok


def test_killed_after_recording_intents_before_any_call_books_only_what_happened(
    ec2: Any, job: Job, store: FaultyStore, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = fleet(ec2)
    adapter = job.adapters["aws"][0]

    def die(*_: Any, **__: Any) -> Any:
        raise Killed

    monkeypatch.setattr(adapter, "apply", die)
    with pytest.raises(Killed):
        run(job, clock, at(0, 19, 5))
    monkeypatch.undo()
    assert set(instance_states(ec2).values()) == {"running"}
    run(job, clock, at(0, 19, 30))  # intents found not carried out: planned and done now
    run(job, clock, at(1, 8, 5))
    assert bookings(store) == {name: pytest.approx(12 + 35 / 60) for name in names}
    assert verify(store.inner).ok


def test_two_runs_at_once_book_each_stop_once(
    ec2: Any, job: Job, store: FaultyStore, clock: Any
) -> None:
    names = fleet(ec2, 5)
    when = at(0, 19, 5)
    clock.now = when
    reports: list[RunReport] = []
    threads = [threading.Thread(target=lambda: reports.append(reconcile(job))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({r.run_id for r in reports}) == 2  # unique per invocation, same second
    run(job, clock, when + timedelta(seconds=1))  # a duplicate delivery, one second later
    run(job, clock, at(1, 8, 5))
    stops = [r for r in read_records(store.inner) if r["x_Action"] == "stop"]
    assert sorted(r["ResourceName"] for r in stops) == names
    assert bookings(store) == {name: pytest.approx(13.0) for name in names}
    assert verify(store.inner).ok


def test_store_refusing_writes_stops_nothing_and_still_starts(
    ec2: Any, job: Job, store: FaultyStore, clock: Any
) -> None:
    names = fleet(ec2)
    store.fail_writes = True
    report = run(job, clock, at(0, 19, 5))
    assert set(instance_states(ec2).values()) == {"running"}  # nothing stopped unrecorded
    assert any("cannot record this run's intents" in e for e in report.errors)
    store.fail_writes = False
    run(job, clock, at(0, 19, 20))
    assert set(instance_states(ec2).values()) == {"stopped"}
    store.fail_writes = True
    report = run(job, clock, at(1, 8, 5))
    assert set(instance_states(ec2).values()) == {"running"}  # the morning is not lost
    assert report.errors
    store.fail_writes = False
    run(job, clock, at(1, 8, 20))
    # The return is booked when it is observed (moto keeps LaunchTime: FIELD-NOTES).
    assert bookings(store) == {name: pytest.approx(13.0) for name in names}
    assert verify(store.inner).ok


def test_a_clock_gone_back_a_week_leaves_nobody_off_and_books_nothing_backwards(
    ec2: Any, job: Job, store: FaultyStore, clock: Any
) -> None:
    names = fleet(ec2)
    run(job, clock, at(7, 19, 5))  # next Monday evening: stopped
    run(job, clock, at(8, 8, 5))  # Tuesday morning: started, 13 h booked
    report = run(job, clock, at(1, 2, 0))  # a replayed event from a week ago, at night
    assert any("clock went back" in w for w in report.warnings)
    assert set(instance_states(ec2).values()) == {"stopped"}  # desired state at its now
    report = run(job, clock, at(8, 8, 20))  # the present again, in office hours
    assert set(instance_states(ec2).values()) == {"running"}
    # The replayed stop is booked from the last run's instant (08:05), never from its own
    # week-old clock: 13 h for the night plus the 15 minutes it really kept them off.
    assert bookings(store) == {name: pytest.approx(13.25) for name in names}
    verdict = verify(store.inner)
    assert verdict.ok, verdict.problems
    state = TargetState.from_json(store.get(KEY) or b"")
    assert state.last_run == at(8, 8, 20)


def test_a_corrupt_state_object_is_kept_aside_and_rebuilt_from_the_ledger(
    ec2: Any, job: Job, store: FaultyStore, clock: Any
) -> None:
    names = fleet(ec2)
    run(job, clock, at(0, 19, 5))
    store.inner.put(KEY, b"{}")
    report = run(job, clock, at(1, 8, 5))
    assert any("unreadable" in w for w in report.warnings)
    assert set(instance_states(ec2).values()) == {"running"}
    assert bookings(store) == {name: pytest.approx(13.0) for name in names}
    aside = [k for k in store.inner.list("state/") if "corrupt" in k]
    assert len(aside) == 1 and store.get(aside[0]) == b"{}"
    assert verify(store.inner).ok


def test_a_poisoned_price_tag_is_a_tag_problem_and_the_ledger_stays_strict(
    ec2: Any, job: Job, store: FaultyStore, clock: Any
) -> None:
    fleet(ec2, 2)
    launch(ec2, Box("greedy", "t3.medium", {"schedule": "office-hours", "hourly-cost": "inf"}))
    launch(ec2, Box("huge", "t3.medium", {"schedule": "office-hours", "hourly-cost": "1e308"}))
    launch(ec2, Box("cheap", "t3.medium", {"schedule": "office-hours", "hourly-cost": "cheap"}))
    report = run(job, clock, at(0, 19, 5))
    problems = {d.resource.name: d.reason for d in report.decisions if d.problem}
    assert set(problems) == {"greedy", "huge", "cheap"}
    assert all("bad hourly-cost tag" in reason for reason in problems.values())
    states = instance_states(ec2)
    assert states == {
        "dev-0": "stopped", "dev-1": "stopped", "greedy": "running", "huge": "running",
        "cheap": "running",
    }  # fmt: skip
    run(job, clock, at(1, 8, 5))
    assert verify(store.inner).ok  # strict JSON, finite numbers
