"""Mapping between instants and local wall time, exact around DST changes.

The schedule is a function of local wall time. An instant maps to its wall time,
except during the second pass of a repeated (fall-back) hour, where the wall clock
is held just before the end of the first pass: boundaries inside a repeated hour
happen once, at their first occurrence. A wall time inside a skipped (spring-forward)
gap happens at the first instant after the gap.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, tzinfo

from schedules.errors import ScheduleError
from schedules.model import MINUTES_PER_DAY

_TICK = timedelta(microseconds=1)
MIN_YEAR = 1900
MAX_YEAR = 2999


def require_aware(at: object, what: str = "at") -> datetime:
    if not isinstance(at, datetime):
        raise ScheduleError(f"{what} must be a zone-aware datetime, got {type(at).__name__}")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ScheduleError(
            f"{what}={at.isoformat()} has no time zone: pass a zone-aware datetime "
            "(e.g. 2026-11-30T08:00:00+01:00); offhours never guesses the zone"
        )
    if not MIN_YEAR <= at.year <= MAX_YEAR:
        raise ScheduleError(f"{what}={at.isoformat()} is outside {MIN_YEAR}-{MAX_YEAR}")
    return at


def _first_with_offset(lo: datetime, hi: datetime, zone: tzinfo) -> datetime:
    """First instant in (lo, hi] whose UTC offset equals hi's (offsets change on whole seconds)."""
    target = hi.astimezone(zone).utcoffset()
    lo_s, hi_s = int(lo.timestamp()), int(hi.timestamp())
    while hi_s - lo_s > 1:
        mid = (lo_s + hi_s) // 2
        if datetime.fromtimestamp(mid, zone).utcoffset() == target:
            hi_s = mid
        else:
            lo_s = mid
    return datetime.fromtimestamp(hi_s, UTC)


def wall_of(at: datetime, zone: tzinfo) -> datetime:
    """The (naive) wall time the schedule sees at instant ``at``."""
    local = at.astimezone(zone)
    if local.fold:
        first_offset = local.replace(fold=0).utcoffset()
        offset = local.utcoffset()
        if first_offset is not None and offset is not None and first_offset != offset:
            # Second pass of a repeated hour: hold the clock at the end of the first pass.
            delta = first_offset - offset
            change = _first_with_offset(at - delta, at, zone)
            return (change + first_offset).replace(tzinfo=None) - _TICK
    return local.replace(tzinfo=None)


def first_instant(wall: datetime, zone: tzinfo) -> datetime:
    """The first instant (UTC) whose wall time is ``wall`` or later."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first  # exists; fold=0 is the first pass of a repeated hour
    # Skipped by a gap: fold=0 reads it with the offset before, fold=1 with the one after.
    other = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    lo, hi = min(first, other), max(first, other)
    return _first_with_offset(lo, hi, zone)


def minute_of_week(wall: datetime) -> int:
    """Minutes since Monday 00:00 of the wall time's week."""
    return wall.weekday() * MINUTES_PER_DAY + wall.hour * 60 + wall.minute


def week_start(wall: datetime) -> datetime:
    """Monday 00:00 (naive) of the wall time's week."""
    return datetime.combine(wall.date() - timedelta(days=wall.weekday()), time())
