"""Evaluation: desired state at an instant, and when it changes. Pure functions."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import TypeVar, cast

from schedules.errors import ScheduleError
from schedules.model import MINUTES_PER_WEEK, Schedule, State, Switch
from schedules.plans import Plan, compile_plan
from schedules.switches import SwitchPlan, current_switch, switches_after
from schedules.wallclock import first_instant, require_aware, wall_of

# No change within this long after the last one (or this many candidate instants in a
# row without a change) means "never": bounds the work any input can cause.
HORIZON = timedelta(days=3660)
MAX_QUIET_CANDIDATES = 100_000
_MEMO_SIZE = 16
_MISSING = object()
T = TypeVar("T")


def plan_for(schedule: Schedule) -> Plan | SwitchPlan:
    plan = schedule._plan
    if plan is None:
        if schedule.opt_out:
            raise ScheduleError(
                f"schedule '{schedule.name}' opts the resource out: it has no desired state; "
                "check Schedule.opt_out and leave the resource alone"
            )
        plan = compile_plan(schedule)
        object.__setattr__(schedule, "_plan", plan)  # cache on the frozen instance
    return cast(Plan | SwitchPlan, plan)


def _two_sided(schedule: Schedule) -> Plan:
    plan = plan_for(schedule)
    if isinstance(plan, SwitchPlan):
        raise ScheduleError(
            f"schedule '{schedule.name}' is {schedule.sides.value}: it wants a state only for a "
            "while after each switch; ask wanted_state or current_switch instead"
        )
    return plan


def desired_state(schedule: Schedule, at: datetime) -> State:
    """The state a two-sided schedule wants at ``at`` (ScheduleError for one-sided ones)."""
    plan = _two_sided(schedule)
    require_aware(at)
    local = at.astimezone(plan.zone)
    if local.fold:  # maybe the second pass of a repeated hour: see wallclock
        local = wall_of(at, plan.zone)
    return State.RUNNING if plan.running(local) else State.STOPPED


def _changes(plan: Plan, at: datetime) -> Iterator[tuple[datetime, State]]:
    """Every change strictly after ``at``, in order: (instant in the schedule's zone, new state)."""
    zone = plan.zone
    wall = wall_of(at, zone)
    running = plan.running(wall)
    give_up = wall + HORIZON
    quiet = 0
    while quiet < MAX_QUIET_CANDIDATES:
        candidate = plan.next_candidate(wall, running)
        if candidate is None or candidate > give_up:
            return
        instant = first_instant(candidate, zone)
        # In a DST gap several wall times land on one instant: the state there sums them up.
        wall = max(candidate, wall_of(instant, zone))
        now_running = plan.running(wall)
        if now_running == running:
            quiet += 1
            continue
        running, quiet, give_up = now_running, 0, candidate + HORIZON
        yield instant.astimezone(zone), State.RUNNING if running else State.STOPPED


def _remember(plan: Plan | SwitchPlan, key: tuple[object, ...], compute: Callable[[], T]) -> T:
    """A fleet shares one ``now``: keep the last few answers per compiled schedule."""
    memo = plan.memo
    found = memo.get(key, _MISSING)  # one lookup: safe while another thread clears the memo
    if found is _MISSING:
        if len(memo) >= _MEMO_SIZE:
            memo.clear()
        found = memo[key] = compute()
    return cast(T, found)


def switch_at(schedule: Schedule, at: datetime) -> Switch | None:
    """A one-sided schedule's latest switch at or before ``at`` while its catch-up window
    still holds ``at``; None outside every window (and always for two-sided schedules)."""
    plan = plan_for(schedule)
    require_aware(at)
    if not isinstance(plan, SwitchPlan):
        return None
    found = plan
    return _remember(plan, ("switch", at), lambda: current_switch(found, at))


def wanted_state(schedule: Schedule, at: datetime) -> State | None:
    """What the schedule wants at ``at``: the desired state of a two-sided schedule; for a
    one-sided one its switch's state inside a catch-up window, None (no opinion) outside."""
    if schedule.sides.state is None:
        return desired_state(schedule, at)
    switch = switch_at(schedule, at)
    return switch.state if switch else None


def _events(plan: Plan | SwitchPlan, at: datetime) -> Iterator[tuple[datetime, State]]:
    if isinstance(plan, SwitchPlan):
        return switches_after(plan, at, HORIZON)
    return _changes(plan, at)


def next_transition(schedule: Schedule, at: datetime) -> tuple[datetime, State] | None:
    """The first change strictly after ``at``, or None when the state never changes.
    For a one-sided schedule: its next switch (the next stop, or the next start)."""
    plan = plan_for(schedule)
    require_aware(at)
    return _remember(plan, ("next", at), lambda: next(_events(plan, at), None))


def transitions(schedule: Schedule, start: datetime, end: datetime) -> list[tuple[datetime, State]]:
    """Every change t with start < t <= end, in order; at t the state becomes the given State.
    For a one-sided schedule: every switch in that span (all to the same state)."""
    plan = plan_for(schedule)
    require_aware(start, "start")
    require_aware(end, "end")
    if end <= start:
        return []

    def compute() -> tuple[tuple[datetime, State], ...]:
        return tuple(itertools.takewhile(lambda change: change[0] <= end, _events(plan, start)))

    return list(_remember(plan, ("between", start, end), compute))


def running_hours_per_week(schedule: Schedule) -> float:
    """Running hours in a typical week (holidays and DST ignored); ScheduleError for a
    one-sided schedule, whose running time is up to the people using the resource."""
    minutes = _two_sided(schedule).weekly_minutes_on()
    return round(min(minutes, MINUTES_PER_WEEK) / 60, 2)
