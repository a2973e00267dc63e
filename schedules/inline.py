"""The inline tag grammar: ``mon-fri 08:00-19:00 Europe/Berlin``.

value      := expression ("," expression)*
expression := days time-range+ [zone]
days       := day ("," day)*        a comma followed by days only continues the day list
time-range := HH:MM-HH:MM          stop may be 24:00; stop < start runs past midnight
A zone written on any expression applies to the whole value (two different zones are
an error); without one the catalog's default zone applies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from schedules.days import (
    DAY_FORMS,
    check_span,
    describe_days,
    format_clock,
    is_day_token,
    parse_clock,
    parse_day_token,
)
from schedules.errors import VALID_FORMS, ScheduleError
from schedules.model import Period, Schedule, Sides, Source
from schedules.zones import canonical_zone

INLINE_FORMS = (
    "valid inline forms: 'DAYS HH:MM-HH:MM [ZONE]', e.g. 'mon-fri 08:00-19:00 Europe/Berlin', "
    "'mon,wed 09:00-17:00', 'fri-mon 22:00-06:00 UTC', several joined by ','; " + DAY_FORMS
)
_RANGE = re.compile(r"([0-9]{1,2}:[0-9]{2})-([0-9]{1,2}:[0-9]{2})")
_AROUND_DASH = re.compile(r"\s*-\s*")


@dataclass
class _Parsed:
    periods: list[Period]
    zones: set[str]


def _parse_range(token: str) -> tuple[int, int]:
    match = _RANGE.fullmatch(token)
    if not match:
        raise ScheduleError(f"'{token}' is not a time range HH:MM-HH:MM; {INLINE_FORMS}")
    start = parse_clock(match[1], is_stop=False)
    stop = parse_clock(match[2], is_stop=True)
    check_span(start, stop, token)
    return start, stop


def _parse_expression(tokens: list[str], days: list[str], into: _Parsed) -> None:
    i = 0
    while i < len(tokens) and is_day_token(tokens[i]):
        days.append(parse_day_token(tokens[i])[0])
        i += 1
    if not days:
        raise ScheduleError(f"'{tokens[0]}' is not a day; {INLINE_FORMS}")
    ranges = []
    while i < len(tokens) and _RANGE.fullmatch(tokens[i]):
        ranges.append(_parse_range(tokens[i]))
        i += 1
    rest = tokens[i:]
    if not ranges:
        bad = rest[0] if rest else " ".join(tokens)
        raise ScheduleError(f"'{bad}': expected a time range after the days; {INLINE_FORMS}")
    if len(rest) > 1:
        raise ScheduleError(f"'{' '.join(rest)}': expected at most one time zone; {INLINE_FORMS}")
    if rest:
        if ":" in rest[0] or rest[0][:1].isdigit():
            _parse_range(rest[0])  # raises with the precise complaint about the range
        into.zones.add(canonical_zone(rest[0]))
    into.periods.extend(Period(tuple(days), start, stop) for start, stop in ranges)


def parse_inline(value: str, default_tz: str) -> Schedule:
    parsed = _Parsed([], set())
    pending_days: list[str] = []
    for piece in value.split(","):
        tokens = _AROUND_DASH.sub("-", piece.strip()).split()
        if not tokens:
            raise ScheduleError(f"empty expression in '{value}'; {INLINE_FORMS}")
        if all(is_day_token(t) for t in tokens):
            pending_days.extend(parse_day_token(t)[0] for t in tokens)  # 'mon,wed 09:00-17:00'
            continue
        _parse_expression(tokens, pending_days, parsed)
        pending_days = []
    if pending_days:
        raise ScheduleError(f"'{value}' ends with days but no time range; {INLINE_FORMS}")
    if len(parsed.zones) > 1:
        raise ScheduleError(
            f"'{value}' names several time zones ({', '.join(sorted(parsed.zones))}); "
            "one value uses one zone"
        )
    zone = parsed.zones.pop() if parsed.zones else canonical_zone(default_tz)
    periods = tuple(parsed.periods)
    return Schedule(
        name=value.strip(),
        description=describe_periods(periods, zone),
        timezone=zone,
        periods=periods,
        source=Source.INLINE,
    )


def group_periods(periods: tuple[Period, ...]) -> list[tuple[tuple[str, ...], list[Period]]]:
    groups: list[tuple[tuple[str, ...], list[Period]]] = []
    for period in periods:
        if groups and groups[-1][0] == period.days:
            groups[-1][1].append(period)
        else:
            groups.append((period.days, [period]))
    return groups


def describe_periods(periods: tuple[Period, ...], zone: str) -> str:
    if not periods:
        return f"never running ({zone})"
    parts = [
        describe_days(days)
        + " "
        + ", ".join(f"{format_clock(p.start)}-{format_clock(p.stop)}" for p in group)
        for days, group in group_periods(periods)
    ]
    return "; ".join(parts) + f" ({zone})"


def to_inline(schedule: Schedule) -> str:
    """The canonical inline form of a period or one-sided schedule (always names its zone)."""
    if schedule.sides is not Sides.BOTH:
        from schedules.onesided import one_sided_inline  # onesided imports this module

        return one_sided_inline(schedule)
    if schedule.cron or schedule.events or schedule.holidays or schedule.opt_out:
        raise ScheduleError(
            f"schedule '{schedule.name}' uses cron, Custodian hours or holidays, which have no "
            f"inline form; {VALID_FORMS}"
        )
    if not schedule.periods:
        raise ScheduleError(f"schedule '{schedule.name}' never runs: it has no inline form")
    parts = [
        ",".join(days)
        + " "
        + " ".join(f"{format_clock(p.start)}-{format_clock(p.stop)}" for p in group)
        for days, group in group_periods(schedule.periods)
    ]
    return ", ".join(parts) + f" {schedule.timezone}"
