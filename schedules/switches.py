"""One-sided schedules (stop-only, start-only): their switches and catch-up windows.

A one-sided schedule is a list of instants at which it wants one state (stopped, or
running). It has an opinion only inside each switch's catch-up window, from the switch
to the next local midnight (or for ``Schedule.catch_up``); outside, it leaves the
resource as it is. Switches use the same wall-clock rules as every other schedule
(see wallclock): a switch in a skipped hour happens at the end of the gap, one in a
repeated hour at its first occurrence; switches on holidays do not fire.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from schedules.calendars import HolidayCalendar
from schedules.cron import Fires, WeeklyFires, fires_for, last_working_fire, next_midnight
from schedules.days import expand_days
from schedules.errors import ScheduleError
from schedules.model import MINUTES_PER_DAY, Schedule, State, Switch
from schedules.wallclock import first_instant, wall_of

_LAST_MINUTE = time(23, 59)
_MAX_SKIPS = 5000  # bound on holiday-skipping loops, so no input can spin forever


class SwitchPlan:
    """A compiled one-sided schedule: when its switches fire (naive local wall time)."""

    def __init__(
        self,
        zone: ZoneInfo,
        fires: Fires,
        state: State,
        catch_up: timedelta | None,
        calendar: HolidayCalendar | None,
    ) -> None:
        self.zone = zone
        self.memo: dict[tuple[object, ...], object] = {}  # see evaluate._remember
        self.fires = fires
        self.state = state
        self.catch_up = catch_up
        self.calendar = calendar

    def last_fire(self, wall: datetime) -> datetime | None:
        """The latest switch at or before ``wall`` (to the minute) that is not on a holiday."""
        if self.calendar is None:
            return self.fires.last(wall)
        return last_working_fire(self.fires, wall, self.calendar)

    def next_fire(self, wall: datetime) -> datetime | None:
        """The earliest switch after ``wall`` that is not on a holiday."""
        found = self.fires.next(wall)
        calendar = self.calendar
        if calendar is None:
            return found
        for _ in range(_MAX_SKIPS):
            if found is None or found.date() not in calendar:
                return found
            found = self.fires.next(datetime.combine(found.date(), _LAST_MINUTE))
        return None

    def window_end(self, fire: datetime, instant: datetime) -> datetime:
        """Where the catch-up window of the switch at wall time ``fire`` (``instant``) ends."""
        if self.catch_up is not None:
            return instant + self.catch_up
        return first_instant(next_midnight(fire), self.zone)


def compile_switch_plan(schedule: Schedule, zone: ZoneInfo) -> SwitchPlan:
    state = schedule.sides.state
    if state is None:
        raise ScheduleError(f"schedule '{schedule.name}' is not stop-only or start-only")
    calendar = HolidayCalendar(schedule.holidays) if schedule.holidays else None
    fires: Fires
    if schedule.cron is not None:
        expr = schedule.cron.stop if state is State.STOPPED else schedule.cron.start
        if expr is None:
            raise ScheduleError(f"{schedule.sides.value} schedule '{schedule.name}' has no cron")
        fires = fires_for(expr)
    else:
        fires = WeeklyFires(
            tuple(
                day * MINUTES_PER_DAY + moment.minute
                for moment in schedule.moments
                for day in expand_days(moment.days)
            )
        )
    return SwitchPlan(zone, fires, state, schedule.catch_up, calendar)


def current_switch(plan: SwitchPlan, at: datetime) -> Switch | None:
    """The latest switch at or before ``at`` whose catch-up window still holds ``at``."""
    fire = plan.last_fire(wall_of(at, plan.zone))
    if fire is None:
        return None
    instant = first_instant(fire, plan.zone)
    until = plan.window_end(fire, instant)
    if not instant <= at < until:
        return None
    return Switch(instant.astimezone(plan.zone), plan.state, until.astimezone(plan.zone))


def switches_after(
    plan: SwitchPlan, at: datetime, horizon: timedelta
) -> Iterator[tuple[datetime, State]]:
    """Every switch strictly after ``at``, in order, as (instant in the zone, state)."""
    zone = plan.zone
    wall = wall_of(at, zone)
    give_up = wall + horizon
    while True:
        candidate = plan.next_fire(wall)
        if candidate is None or candidate > give_up:
            return
        instant = first_instant(candidate, zone)
        # Switches inside one DST gap land on one instant: step past all of them at once.
        wall = max(candidate, wall_of(instant, zone))
        yield instant.astimezone(zone), plan.state
