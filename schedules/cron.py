"""Cron expressions (croniter), evaluated on naive local wall time.

A weekly expression (any day-of-month, any month) becomes a fixed set of
minutes-of-week, so evaluation needs croniter only once, at compile time. croniter
(and the dateutil it pulls in) is imported only when a schedule uses cron.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Container
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Protocol

from schedules.errors import ScheduleError
from schedules.model import MINUTES_PER_WEEK
from schedules.wallclock import minute_of_week, week_start

CRON_FORMS = (
    "valid cron: five fields 'minute hour day-of-month month day-of-week' as croniter reads them, "
    "e.g. '0 8 * * 1-5'; or @hourly, @daily, @weekly, @monthly, @yearly"
)
_ALIASES = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
_REFERENCE_MONDAY = datetime(2024, 1, 1)
_MINUTE = timedelta(minutes=1)
_WEEK = timedelta(days=7)
_MAX_SKIPS = 5000  # bound on holiday-skipping loops, so no input can spin forever

if TYPE_CHECKING:
    from croniter import croniter


def _croniter() -> type[croniter]:
    from croniter import croniter

    return croniter


def normalize_cron(expr: object) -> str:
    """Canonical text of a cron expression, or ScheduleError with the valid forms."""
    if not isinstance(expr, str):
        raise ScheduleError(f"cron expression must be text, got {expr!r}: {CRON_FORMS}")
    text = " ".join(expr.split()).lower()
    text = _ALIASES.get(text, text)
    if len(text.split(" ")) != 5:
        raise ScheduleError(f"'{expr}' is not a cron expression: {CRON_FORMS}")
    cron = _croniter()
    try:
        valid = cron.is_valid(text)
        # A valid expression may still never fire (30 February): ask for one date.
        valid = valid and cron(text, _REFERENCE_MONDAY).get_next(datetime) is not None
    except (ValueError, KeyError, TypeError, OverflowError):
        valid = False
    if not valid:
        raise ScheduleError(f"'{expr}' is not a cron expression that fires: {CRON_FORMS}")
    return text


def is_weekly(expr: str) -> bool:
    _minute, _hour, dom, month, dow = expr.split(" ")
    return dom in ("*", "?") and month == "*" and not any(c in dow for c in "l#")


def weekly_minutes(expr: str) -> tuple[int, ...]:
    """Minutes of the week (0 = Monday 00:00) at which a weekly expression fires."""
    it = _croniter()(expr, _REFERENCE_MONDAY - _MINUTE)
    found: list[int] = []
    while True:
        fire: datetime = it.get_next(datetime)
        offset = int((fire - _REFERENCE_MONDAY).total_seconds()) // 60
        if offset >= MINUTES_PER_WEEK:
            return tuple(found)
        found.append(offset)


class Fires(Protocol):
    """When one side of a start/stop pair fires, on naive wall time."""

    def last(self, wall: datetime) -> datetime | None: ...  # latest fire <= wall (to the minute)
    def next(self, wall: datetime) -> datetime | None: ...  # earliest fire > wall


class WeeklyFires:
    def __init__(self, minutes: tuple[int, ...]) -> None:
        self.minutes = tuple(sorted(set(minutes)))

    def last(self, wall: datetime) -> datetime | None:
        if not self.minutes:
            return None
        i = bisect_right(self.minutes, minute_of_week(wall)) - 1
        week = week_start(wall)
        if i < 0:
            week -= _WEEK
        return week + timedelta(minutes=self.minutes[i])

    def next(self, wall: datetime) -> datetime | None:
        if not self.minutes:
            return None
        i = bisect_right(self.minutes, minute_of_week(wall))
        week = week_start(wall)
        if i == len(self.minutes):
            week, i = week + _WEEK, 0
        return week + timedelta(minutes=self.minutes[i])


class CronFires:
    """croniter for expressions that are not weekly, with a one-interval memo because
    evaluation walks forward through time."""

    def __init__(self, expr: str) -> None:
        self.expr = expr
        self._span: tuple[datetime, datetime] | None = None  # (fire, next fire)

    def last(self, wall: datetime) -> datetime | None:
        floor = wall.replace(second=0, microsecond=0)
        span = self._span
        if span is not None and span[0] <= floor < span[1]:
            return span[0]
        try:
            cron = _croniter()
            prev: datetime = cron(self.expr, floor + timedelta(seconds=30)).get_prev(datetime)
            following: datetime = cron(self.expr, prev).get_next(datetime)
        except (ValueError, OverflowError):
            return None
        self._span = (prev, following)
        return prev

    def next(self, wall: datetime) -> datetime | None:
        span = self._span
        if span is not None and span[0] <= wall < span[1]:
            return span[1]
        try:
            found: datetime = _croniter()(self.expr, wall).get_next(datetime)
        except (ValueError, OverflowError):
            return None
        return found


def fires_for(expr: str) -> Fires:
    return WeeklyFires(weekly_minutes(expr)) if is_weekly(expr) else CronFires(expr)


def last_working_fire(fires: Fires, wall: datetime, off_days: Container[date]) -> datetime | None:
    """Latest fire <= wall that is not on a day in ``off_days`` (fires on holidays don't count)."""
    fire = fires.last(wall)
    for _ in range(_MAX_SKIPS):
        if fire is None or fire.date() not in off_days:
            return fire
        fire = fires.last(datetime.combine(fire.date(), time()) - _MINUTE)
    return None


def next_midnight(wall: datetime) -> datetime:
    return datetime.combine(wall.date() + timedelta(days=1), time())
