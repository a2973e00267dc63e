"""When a run that changed nothing may leave the state object unwritten (pure:
``functions/jobs/quiet.py``), and the job's one instant (``functions/jobs/job_clock``)."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import schedules
from functions.jobs.job_clock import advancing
from functions.jobs.planner import Policy
from functions.jobs.quiet import QUIET_LAG, may_skip
from ledger.run_state import TargetState
from providers.base import Resource, ResourceState

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)  # office-hours in UTC: Mon-Fri 08:00-19:00
CATALOG = schedules.load_catalog()
POLICY = Policy()
BOX = Resource(
    provider="aws",
    account="123456789012",
    region="eu-west-1",
    kind="ec2",
    id="i-1",
    name="dev-1",
    tags={"schedule": "office-hours"},
    state=ResourceState.RUNNING,
)


def at(hour: int, minute: int = 0) -> datetime:
    return MONDAY + timedelta(hours=hour, minutes=minute)


def read_at(last: datetime | None) -> TargetState:
    runs = {"ec2": last} if last else {}
    return TargetState(last_run=last, kind_runs=runs)


def written(read: TargetState, now: datetime) -> TargetState:
    """What a quiet run's finish write would store: its instant as the last run."""
    state = copy.deepcopy(read)
    state.last_run = now
    state.kind_runs = {"ec2": now}
    return state


def skips(read: TargetState, after: TargetState, now: datetime, *boxes: Resource) -> bool:
    return may_skip(read, after, boxes or (BOX,), now, CATALOG, POLICY)


def test_between_transitions_and_within_the_hour_nothing_is_written() -> None:
    read = read_at(at(9))
    assert skips(read, written(read, at(9, 15)), at(9, 15))
    assert skips(read, written(read, at(9, 45)), at(9, 45))


def test_an_hour_on_last_run_is_written_so_it_never_lags_further() -> None:
    read = read_at(at(9))
    assert not skips(read, written(read, at(9) + QUIET_LAG), at(9) + QUIET_LAG)


def test_a_transition_since_the_last_run_is_written_even_with_nothing_to_do() -> None:
    read = read_at(at(7, 45))
    assert not skips(read, written(read, at(8)), at(8))  # office-hours turned on at 08:00
    # A resource with no schedule tag, or one that does not resolve, plans the same
    # whatever last_run is.
    untagged = replace(BOX, tags={})
    broken = replace(BOX, tags={"schedule": "no-such-schedule"})
    assert skips(read, written(read, at(8)), at(8), untagged, broken)


def test_a_maintenance_window_always_writes() -> None:
    read = read_at(at(9))
    windowed = replace(BOX, tags={**BOX.tags, POLICY.maintenance_key: "sun 02:00-04:00 UTC"})
    assert not skips(read, written(read, at(9, 15)), at(9, 15), windowed)


def test_any_other_change_is_written() -> None:
    read = read_at(at(9))
    problem = written(read, at(9, 15))
    problem.problems = {BOX.key: "bad schedule tag"}
    assert not skips(read, problem, at(9, 15))
    crashed = replace(read, pending={"ledger/v1/x.jsonl.gz": [{"x": 1}]})
    assert not skips(crashed, written(crashed, at(9, 15)), at(9, 15))


def test_a_first_run_a_new_kind_and_a_state_never_written_are_written() -> None:
    assert not skips(TargetState(), written(TargetState(), at(9)), at(9))
    no_kinds = TargetState(last_run=at(9))
    assert not skips(no_kinds, written(no_kinds, at(9, 15)), at(9, 15))


def test_a_run_behind_the_last_one_moves_nothing_and_writes_nothing() -> None:
    read = read_at(at(10))
    assert skips(read, copy.deepcopy(read), at(9, 15))


def test_the_jobs_instant_is_its_clocks_first_reading() -> None:
    """Building clients before the run does not move the run's instant; the run's own
    time does move the stamps after it."""
    ticks = iter([100.0, 130.0, 160.0])
    clock = advancing(at(19), lambda: next(ticks))
    assert clock() == at(19)
    assert clock() == at(19) + timedelta(seconds=30)
    assert clock() == at(19) + timedelta(seconds=60)
