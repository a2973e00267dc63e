"""Compiled schedules: the precomputed tables evaluation runs on.

Every plan answers two questions on local wall time: ``running(wall)`` and
``next_candidate(wall, running)`` (the next naive wall time > ``wall`` at which the
answer may change). ``running`` reads only the wall-clock fields, so it takes a naive
or a local aware datetime. DST is not their business: see wallclock.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol, cast
from zoneinfo import ZoneInfo

from schedules.calendars import HolidayCalendar
from schedules.cron import (
    Fires,
    WeeklyFires,
    fires_for,
    last_working_fire,
    next_midnight,
)
from schedules.days import expand_days
from schedules.errors import ScheduleError
from schedules.model import MINUTES_PER_DAY, MINUTES_PER_WEEK, Schedule, Sides, State
from schedules.switches import SwitchPlan, compile_switch_plan
from schedules.wallclock import minute_of_week, week_start
from schedules.zones import zone_info

_WEEK = timedelta(days=7)
_DAY = timedelta(days=1)
_YEAR_WEEKS = 52


def _toggles(table: bytes) -> tuple[int, ...]:
    """Minutes of the week where the table changes value (cyclic: Sunday 24:00 = Monday 00:00)."""
    previous = table[-1:] + table[:-1]
    return tuple(m for m, (a, b) in enumerate(zip(table, previous, strict=True)) if a != b)


class Plan(Protocol):
    zone: ZoneInfo
    memo: dict[tuple[object, ...], object]  # recent answers, see evaluate._remember

    def running(self, wall: datetime) -> bool: ...
    def next_candidate(self, wall: datetime, running: bool) -> datetime | None: ...
    def weekly_minutes_on(self) -> int: ...


class TablePlan:
    """A weekly on/off table, one byte per minute of the week (Monday 00:00 = 0)."""

    def __init__(
        self,
        zone: ZoneInfo,
        table: bytes,
        edges: Sequence[int] | None = None,
        calendar: HolidayCalendar | None = None,
    ) -> None:
        self.zone = zone
        self.memo: dict[tuple[object, ...], object] = {}
        self.table = table
        self.calendar = calendar
        self.edges = tuple(edges) if edges is not None else _toggles(table)

    def running(self, wall: datetime) -> bool:
        return bool(self.table[minute_of_week(wall)])

    def next_candidate(self, wall: datetime, running: bool) -> datetime | None:
        if not self.edges:
            return None
        i = bisect_right(self.edges, minute_of_week(wall))
        week = week_start(wall)
        if i == len(self.edges):
            week, i = week + _WEEK, 0
        return week + timedelta(minutes=self.edges[i])

    def weekly_minutes_on(self) -> int:
        return self.table.count(1)


class PeriodHolidayPlan(TablePlan):
    """Periods with holidays: a holiday is off all day and nothing starts on it, so a
    period that runs past midnight is split into the part on its start day (``same``)
    and the part on the next day (``spill``)."""

    def __init__(
        self, zone: ZoneInfo, same: bytes, spill: bytes, calendar: HolidayCalendar
    ) -> None:
        union = bytes(a | b for a, b in zip(same, spill, strict=True))
        midnights = range(0, MINUTES_PER_WEEK, MINUTES_PER_DAY)
        both = bytes(2 * a + b for a, b in zip(same, spill, strict=True))
        edges = sorted(set(_toggles(both)) | set(midnights))
        super().__init__(zone, union, edges, calendar)
        self.same = same
        self.spill = spill
        self.holidays = calendar

    def running(self, wall: datetime) -> bool:
        day = wall.date()
        if day in self.holidays:
            return False
        m = minute_of_week(wall)
        if self.same[m]:
            return True
        return bool(self.spill[m]) and (day - _DAY) not in self.holidays


class EventPlan:
    """Start/stop switches (cron pairs, Custodian): running iff the latest switch that
    fired was a start. A tie goes to stop; switches on holidays don't fire."""

    def __init__(
        self, zone: ZoneInfo, start: Fires, stop: Fires, calendar: HolidayCalendar | None
    ) -> None:
        self.zone = zone
        self.memo: dict[tuple[object, ...], object] = {}
        self.start = start
        self.stop = stop
        self.calendar = calendar

    def running(self, wall: datetime) -> bool:
        wall = wall.replace(tzinfo=None)  # croniter and comparisons work on naive wall time
        calendar = self.calendar
        if calendar is None:
            started, stopped = self.start.last(wall), self.stop.last(wall)
        else:
            if wall.date() in calendar:
                return False
            started = last_working_fire(self.start, wall, calendar)
            stopped = last_working_fire(self.stop, wall, calendar)
        if started is None:
            return False
        return stopped is None or started > stopped

    def next_candidate(self, wall: datetime, running: bool) -> datetime | None:
        # Only the other side's switch (or a midnight, around holidays) can change the state.
        found = (self.stop if running else self.start).next(wall)
        if self.calendar is not None:
            midnight = next_midnight(wall)
            found = midnight if found is None else min(found, midnight)
        return found

    def weekly_minutes_on(self) -> int:
        """Average running minutes per week over a reference year, holidays ignored."""
        begin = datetime(2024, 1, 1)
        end = begin + _YEAR_WEEKS * _WEEK
        plain = EventPlan(self.zone, self.start, self.stop, None)
        wall, on, total = begin, plain.running(begin), timedelta()
        while wall < end:
            nxt = plain.next_candidate(wall, on)
            if nxt is None:
                nxt = end
            nxt = min(nxt, end)
            if on:
                total += nxt - wall
            wall = nxt
            on = plain.running(wall)
        return int(total.total_seconds() // 60) // _YEAR_WEEKS


def _period_tables(schedule: Schedule) -> tuple[bytearray, bytearray]:
    same = bytearray(MINUTES_PER_WEEK)
    spill = bytearray(MINUTES_PER_WEEK)
    for period in schedule.periods:
        for day in expand_days(period.days):
            base = day * MINUTES_PER_DAY
            if period.stop > period.start:
                same[base + period.start : base + period.stop] = b"\x01" * (
                    period.stop - period.start
                )
                continue
            same[base + period.start : base + MINUTES_PER_DAY] = b"\x01" * (
                MINUTES_PER_DAY - period.start
            )
            nxt = ((day + 1) % 7) * MINUTES_PER_DAY
            spill[nxt : nxt + period.stop] = b"\x01" * period.stop
    return same, spill


def _event_table(start: tuple[int, ...], stop: tuple[int, ...]) -> bytes:
    """Weekly table from weekly switches (a tie at one minute goes to stop)."""
    switches = sorted([(m, 0, True) for m in start] + [(m, 1, False) for m in stop])
    table = bytearray(MINUTES_PER_WEEK)
    if not switches:
        return bytes(table)
    state = switches[-1][2]  # the last switch of the week carries over into Monday
    done = 0
    for minute, _, running in switches:
        table[done:minute] = bytes([state]) * (minute - done)
        done, state = minute, running
    table[done:] = bytes([state]) * (MINUTES_PER_WEEK - done)
    return bytes(table)


def _never(zone: ZoneInfo) -> TablePlan:
    return TablePlan(zone, bytes(MINUTES_PER_WEEK))


def _switch_plan(
    zone: ZoneInfo, start: Fires, stop: Fires, calendar: HolidayCalendar | None
) -> Plan:
    if isinstance(start, WeeklyFires) and isinstance(stop, WeeklyFires):
        if set(start.minutes) <= set(stop.minutes):
            return _never(zone)  # every start ties with a stop, and a tie goes to stop
        if calendar is None:
            return TablePlan(zone, _event_table(start.minutes, stop.minutes))
    return EventPlan(zone, start, stop, calendar)


def _switches_or_windows(schedule: Schedule, zone: ZoneInfo) -> Plan | SwitchPlan:
    """A one-sided schedule's switches, or absolute ranges (schedules/absolute.py)."""
    if schedule.sides is not Sides.BOTH:
        return compile_switch_plan(schedule, zone)
    from schedules.absolute import WindowPlan

    return cast(Plan, WindowPlan(zone, schedule.windows))


def compile_plan(schedule: Schedule) -> Plan | SwitchPlan:
    zone = zone_info(schedule.timezone)
    if schedule.sides is not Sides.BOTH or schedule.windows:
        return _switches_or_windows(schedule, zone)
    calendar = HolidayCalendar(schedule.holidays) if schedule.holidays else None
    if schedule.cron is not None:
        if schedule.cron.start is None or schedule.cron.stop is None:
            raise ScheduleError(f"schedule '{schedule.name}' has one cron side: make it one-sided")
        if schedule.cron.start == schedule.cron.stop:
            return _never(zone)
        start, stop = fires_for(schedule.cron.start), fires_for(schedule.cron.stop)
        return _switch_plan(zone, start, stop, calendar)
    if schedule.events:
        on = [
            e.day * MINUTES_PER_DAY + e.minute for e in schedule.events if e.state == State.RUNNING
        ]
        off = [
            e.day * MINUTES_PER_DAY + e.minute for e in schedule.events if e.state == State.STOPPED
        ]
        return _switch_plan(zone, WeeklyFires(tuple(on)), WeeklyFires(tuple(off)), calendar)
    same, spill = _period_tables(schedule)
    union = bytes(a | b for a, b in zip(same, spill, strict=True))
    if calendar is None or not any(union):
        return TablePlan(zone, union)
    return PeriodHolidayPlan(zone, bytes(same), bytes(spill), calendar)
