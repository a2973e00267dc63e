"""Maintenance windows: spans when a resource must run whatever its schedule says.

A window is written either as an inline schedule (``sun 02:00-04:00 Europe/Berlin``,
the catalog's ``maintenance`` field, any cloud) or as an AWS Systems Manager
maintenance window (its ``cron(...)``/``rate(...)`` schedule, ``ScheduleTimezone``,
``ScheduleOffset``, ``Duration`` and ``Cutoff``, read by ``providers/aws``). Both come
down to the same question: which opening of a window covers an instant, when each
opening is entered ``lead`` early (the resource needs time to boot before the
patching starts).

Pure: no clock, no I/O. croniter is imported when an SSM cron window is evaluated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from schedules.cron import normalize_cron
from schedules.errors import ScheduleError
from schedules.evaluate import desired_state, transitions
from schedules.inline import parse_inline
from schedules.model import Schedule, State
from schedules.wallclock import first_instant, require_aware, wall_of
from schedules.zones import canonical_zone

DEFAULT_LEAD = timedelta(minutes=10)
# ``Resource.extra`` keys the AWS discovery fills for a resource whose maintenance-window
# tag names an SSM window: the window's API fields as JSON, or why they could not be read.
SSM_EXTRA = "maintenance-window"
SSM_ERROR_EXTRA = "maintenance-window-error"
# How far back a run looks for the opening it is in, or the one it just left. SSM
# allows windows of up to 24 hours; inline windows may span a weekend.
LOOKBACK = timedelta(days=8)
SSM_FORMS = (
    "valid SSM schedules: 'cron(MIN HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK YEAR)', e.g. "
    "'cron(0 2 ? * SUN *)', 'cron(0 3 ? * TUE#2 *)', or 'rate(N minutes|hours|days)' "
    "with a start date"
)
_SSM_CRON = re.compile(r"cron\((.+)\)", re.IGNORECASE)
_SSM_RATE = re.compile(r"rate\(\s*([0-9]+)\s+(minute|minutes|hour|hours|day|days)\s*\)", re.I)
# A day-of-week number (not the N of ``TUE#N``): AWS counts 1-7 from Sunday, croniter 0-6.
_AWS_DAY_NUMBER = re.compile(r"(?<![#0-9])([1-7])(?![0-9])")


@dataclass(frozen=True)
class Opening:
    """One occurrence of a window: from ``start`` to ``end`` (UTC instants)."""

    name: str
    start: datetime
    end: datetime

    def describe(self, zone: str) -> str:
        local = ZoneInfo(zone)
        return (
            f"{self.name} {self.start.astimezone(local):%a %H:%M}-"
            f"{self.end.astimezone(local):%H:%M} {zone}"
        )


@dataclass(frozen=True)
class Window:
    """A named maintenance window. Exactly one of ``schedule`` (an inline schedule whose
    running periods are the openings) or ``cron``/``rate`` (an SSM window) drives it."""

    name: str
    timezone: str
    schedule: Schedule | None = None
    cron: str = ""  # five croniter fields, local wall time
    year: str = "*"
    rate: timedelta | None = None
    start_date: datetime | None = None
    end_date: datetime | None = None
    offset: timedelta = timedelta(0)
    duration: timedelta = timedelta(0)
    # SSM stops scheduling new tasks this long before the end; tasks already running may
    # still need the resource, so the window keeps it running until the end.
    cutoff: timedelta = timedelta(0)

    def openings(self, start: datetime, end: datetime) -> list[Opening]:
        """Openings that overlap [start, end), in order."""
        require_aware(start, "start")
        require_aware(end, "end")
        if self.schedule is not None:
            found = _schedule_openings(self.name, self.schedule, start, end)
        elif self.rate is not None:
            found = _rate_openings(self, start, end)
        else:
            found = _cron_openings(self, start, end)
        return [o for o in found if o.end > start and o.start < end and self._allowed(o)]

    def _allowed(self, opening: Opening) -> bool:
        if self.start_date is not None and opening.start < self.start_date:
            return False
        return self.end_date is None or opening.start < self.end_date


def covering(windows: tuple[Window, ...], at: datetime, lead: timedelta) -> Opening | None:
    """The opening whose span, entered ``lead`` early, covers ``at`` (the one that began
    first when several do)."""
    found = [
        o
        for w in windows
        for o in _openings(w, at - LOOKBACK, at + lead + timedelta(minutes=1))
        if o.start - lead <= at < o.end
    ]
    return min(found, key=lambda o: o.start) if found else None


def last_closed(windows: tuple[Window, ...], at: datetime) -> Opening | None:
    """The latest opening that ended at or before ``at`` (within the lookback)."""
    found = [o for w in windows for o in _openings(w, at - LOOKBACK, at) if o.end <= at]
    return max(found, key=lambda o: o.end) if found else None


@lru_cache(maxsize=1024)
def _openings(window: Window, start: datetime, end: datetime) -> tuple[Opening, ...]:
    """A run asks the same for every resource sharing a window: computed once."""
    return tuple(window.openings(start, end))


@lru_cache(maxsize=512)
def parse_window(text: str, default_tz: str = "UTC") -> Window:
    """An inline schedule as a window: ``sun 02:00-04:00 Europe/Berlin``."""
    schedule = parse_inline(text, default_tz)
    return Window(name=f"'{text.strip()}'", timezone=schedule.timezone, schedule=schedule)


def ssm_window(
    name: str,
    expression: str,
    timezone: str = "",
    duration_hours: int = 0,
    cutoff_hours: int = 0,
    offset_days: int = 0,
    start_date: str = "",
    end_date: str = "",
) -> Window:
    """An SSM maintenance window as its API describes it; ScheduleError if unusable."""
    zone = canonical_zone(timezone or "UTC")
    if not 1 <= duration_hours <= 24:
        raise ScheduleError(f"SSM window {name}: Duration {duration_hours} is not 1-24 hours")
    start = _date(start_date, name, "StartDate")
    base = Window(
        name=name,
        timezone=zone,
        duration=timedelta(hours=duration_hours),
        cutoff=timedelta(hours=cutoff_hours),
        offset=timedelta(days=offset_days),
        start_date=start,
        end_date=_date(end_date, name, "EndDate"),
    )
    rate = _SSM_RATE.fullmatch(expression.strip())
    if rate:
        if start is None:
            raise ScheduleError(
                f"SSM window {name}: a rate window without a StartDate has no known openings"
            )
        unit = rate[2].lower().rstrip("s")
        step = timedelta(**{f"{unit}s": int(rate[1])})
        return replace(base, rate=step)
    cron = _SSM_CRON.fullmatch(expression.strip())
    if not cron:
        raise ScheduleError(f"SSM window {name}: '{expression}' is not usable; {SSM_FORMS}")
    fields, year = _croniter_fields(cron[1], name)
    return replace(base, cron=fields, year=year)


def ssm_window_from(fields: Mapping[str, Any]) -> Window:
    """A window from the fields of ``DescribeMaintenanceWindows``' ``WindowIdentities``
    (or ``GetMaintenanceWindow``): Name, Schedule, ScheduleTimezone, ScheduleOffset,
    Duration, Cutoff, StartDate, EndDate."""
    try:
        return ssm_window(
            name=str(fields.get("Name") or fields.get("WindowId") or "?"),
            expression=str(fields["Schedule"]),
            timezone=str(fields.get("ScheduleTimezone") or ""),
            duration_hours=int(fields.get("Duration", 0)),
            cutoff_hours=int(fields.get("Cutoff", 0)),
            offset_days=int(fields.get("ScheduleOffset", 0)),
            start_date=str(fields.get("StartDate") or ""),
            end_date=str(fields.get("EndDate") or ""),
        )
    except (KeyError, TypeError, ValueError) as err:
        if isinstance(err, ScheduleError):
            raise
        raise ScheduleError(f"SSM window fields {dict(fields)!r} are not usable: {err}") from err


def _croniter_fields(body: str, name: str) -> tuple[str, str]:
    """AWS's six cron fields (day of week 1-7 = SUN-SAT, ``?`` for "any") as croniter's
    five (0-6 = SUN-SAT), and the year field apart."""
    parts = body.split()
    if len(parts) != 6:
        raise ScheduleError(f"SSM window {name}: 'cron({body})' needs six fields; {SSM_FORMS}")
    minute, hour, dom, month, dow, year = parts
    dow = _AWS_DAY_NUMBER.sub(lambda m: str(int(m[1]) - 1), dow.lower())
    dom = "*" if dom == "?" else dom
    dow = "*" if dow == "?" else dow
    try:
        return normalize_cron(f"{minute} {hour} {dom} {month} {dow}"), year
    except ScheduleError as err:
        raise ScheduleError(f"SSM window {name}: 'cron({body})': {err}") from err


def _date(text: str, name: str, what: str) -> datetime | None:
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as err:
        raise ScheduleError(f"SSM window {name}: {what} '{text}' is not ISO 8601") from err
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _schedule_openings(
    name: str, schedule: Schedule, start: datetime, end: datetime
) -> list[Opening]:
    begin = start - timedelta(days=7)
    found: list[Opening] = []
    opened = begin if desired_state(schedule, begin) is State.RUNNING else None
    for at, state in transitions(schedule, begin, end + timedelta(days=7)):
        if state is State.RUNNING and opened is None:
            opened = at
        elif state is State.STOPPED and opened is not None:
            found.append(Opening(name, opened, at))
            opened = None
        if opened is None and at >= end:
            break
    return found


def _cron_openings(window: Window, start: datetime, end: datetime) -> list[Opening]:
    from croniter import croniter

    zone = ZoneInfo(window.timezone)
    # Openings that began up to one duration (and offset) before ``start`` still overlap it.
    wall = wall_of(start - window.duration - window.offset, zone)
    it = croniter(window.cron, wall - timedelta(minutes=1))
    found: list[Opening] = []
    for _ in range(2000):  # bounded: at most one opening a minute over the lookback
        fire: datetime = it.get_next(datetime)
        begin = first_instant(fire, zone) + window.offset
        if begin >= end:
            break
        if window.year in ("*", "?", str(fire.year)):
            found.append(Opening(window.name, begin, begin + window.duration))
    return found


def _rate_openings(window: Window, start: datetime, end: datetime) -> list[Opening]:
    assert window.rate is not None and window.start_date is not None
    step, anchor = window.rate, window.start_date
    first = max(0, int((start - window.duration - anchor) / step))
    found: list[Opening] = []
    begin = anchor + first * step
    while begin < end:
        found.append(Opening(window.name, begin, begin + window.duration))
        begin += step
    return found
