"""Stop-only and start-only values, inline and label-safe.

inline  := SIDE group ("," group)*             e.g. 'stop-only mon-fri 19:00 Europe/Berlin'
group   := [days] HH:MM+ [zone]                 days default to daily; one zone per value
label   := SIDE "_" lgroup ("_" lgroup)* ["_" zone]   e.g. 'stop-only_mon-fri_1900_europe-berlin'
lgroup  := [day ("_" day)* "_"] HHMM ("_" HHMM)*
SIDE    := "stop-only" | "start-only"
Times are switch instants, 00:00-23:59 local. The label form mirrors the inline form
word for word, as for period schedules (see labels).
"""

from __future__ import annotations

import re

from schedules.days import (
    DAY_FORMS,
    describe_days,
    format_clock,
    is_day_token,
    parse_clock,
    parse_day_token,
)
from schedules.errors import ScheduleError
from schedules.model import Moment, Schedule, Sides, Source
from schedules.zones import canonical_zone, decode_zone, encode_zone

ONE_SIDED_FORMS = (
    "valid stop-only/start-only forms: 'stop-only [DAYS] HH:MM [ZONE]', e.g. "
    "'stop-only 19:00 Europe/Berlin', 'start-only mon-fri 07:00, sat 10:00 UTC'; label-safe "
    "'stop-only_mon-fri_1900_europe-berlin'; " + DAY_FORMS
)
SIDE_WORDS = {"stop-only": Sides.STOP_ONLY, "start-only": Sides.START_ONLY}
_CLOCK = re.compile(r"[0-9]{1,2}:[0-9]{2}")
_LABEL_CLOCK = re.compile(r"([0-9]{2})([0-9]{2})")
_DAILY = ("daily",)
_LABEL_CHARS = re.compile(r"[a-z0-9_-]+")
_MAX_LABEL = 63


def side_of(value: str) -> Sides | None:
    """The side a value starts with ('stop-only …' / 'stop-only_…'), or None."""
    head = re.split(r"[\s_,]", value.strip().lower(), maxsplit=1)[0]
    return SIDE_WORDS.get(head)


def _clock(token: str) -> int:
    if not _CLOCK.fullmatch(token):
        raise ScheduleError(f"'{token}' is not a time HH:MM; {ONE_SIDED_FORMS}")
    return parse_clock(token, is_stop=False)


def _label_clock(token: str) -> int | None:
    match = _LABEL_CLOCK.fullmatch(token)
    if not match:
        return None
    hours, minutes = int(match[1]), int(match[2])
    if hours > 23 or minutes > 59:
        raise ScheduleError(f"'{token}' is not a time; valid: HHMM from 0000 to 2359")
    return hours * 60 + minutes


def _build(value: str, sides: Sides, moments: list[Moment], zone: str, source: Source) -> Schedule:
    frozen = tuple(moments)
    return Schedule(
        name=value.strip(),
        description=describe_moments(sides, frozen, zone),
        timezone=zone,
        source=source,
        sides=sides,
        moments=frozen,
    )


def parse_one_sided_inline(value: str, default_tz: str) -> Schedule:
    sides = side_of(value)
    if sides is None:
        raise ScheduleError(f"'{value}' does not start with stop-only or start-only")
    body = value.strip()[len(sides.value) :]
    moments: list[Moment] = []
    zones: set[str] = set()
    pending: list[str] = []  # days before a ',' that continues the day list: 'mon,wed 19:00'
    for piece in body.split(","):
        tokens = piece.split()
        if not tokens:
            raise ScheduleError(f"empty part in '{value}'; {ONE_SIDED_FORMS}")
        days = pending
        i = 0
        while i < len(tokens) and is_day_token(tokens[i]):
            days.append(parse_day_token(tokens[i])[0])
            i += 1
        if i == len(tokens):
            pending = days
            continue
        pending = []
        minutes = []
        while i < len(tokens) and (":" in tokens[i] or tokens[i][:1].isdigit()):
            minutes.append(_clock(tokens[i]))
            i += 1
        rest = tokens[i:]
        if not minutes:
            raise ScheduleError(f"'{rest[0]}': expected a time HH:MM; {ONE_SIDED_FORMS}")
        if len(rest) > 1:
            raise ScheduleError(f"'{' '.join(rest)}': expected at most one zone; {ONE_SIDED_FORMS}")
        if rest:
            zones.add(canonical_zone(rest[0]))
        day_tokens = tuple(days) or _DAILY
        moments.extend(Moment(day_tokens, minute) for minute in minutes)
    if pending or not moments:
        raise ScheduleError(f"'{value}' needs a time after the days; {ONE_SIDED_FORMS}")
    if len(zones) > 1:
        raise ScheduleError(f"'{value}' names several time zones; one value uses one zone")
    zone = zones.pop() if zones else canonical_zone(default_tz)
    return _build(value, sides, moments, zone, Source.INLINE)


def parse_one_sided_label(value: str, default_tz: str) -> Schedule:
    sides = side_of(value)
    if sides is None:
        raise ScheduleError(f"'{value}' does not start with stop-only or start-only")
    text = value.strip().lower()
    if not _LABEL_CHARS.fullmatch(text):
        raise ScheduleError(f"'{value}' has characters a label cannot hold; {ONE_SIDED_FORMS}")
    tokens = text[len(sides.value) :].split("_")[1:]
    moments: list[Moment] = []
    days: list[str] = []
    after_time = False
    zone = canonical_zone(default_tz)
    for i, token in enumerate(tokens):
        if not token:
            raise ScheduleError(f"'{value}' has an empty part ('__'); {ONE_SIDED_FORMS}")
        minute = _label_clock(token)
        if minute is not None:
            moments.append(Moment(tuple(days) or _DAILY, minute))
            after_time = True
        elif is_day_token(token):
            if after_time:
                days, after_time = [], False  # a day after a time starts the next group
            days.append(parse_day_token(token)[0])
        elif after_time:
            zone = decode_zone("_".join(tokens[i:]))
            break
        else:
            raise ScheduleError(f"'{token}' is neither a day nor a time HHMM; {ONE_SIDED_FORMS}")
    else:
        if not after_time:
            raise ScheduleError(f"'{value}' ends without a time HHMM; {ONE_SIDED_FORMS}")
    return _build(value, sides, moments, zone, Source.LABEL)


def _groups(moments: tuple[Moment, ...]) -> list[tuple[tuple[str, ...], list[int]]]:
    groups: list[tuple[tuple[str, ...], list[int]]] = []
    for moment in moments:
        if groups and groups[-1][0] == moment.days:
            groups[-1][1].append(moment.minute)
        else:
            groups.append((moment.days, [moment.minute]))
    return groups


def describe_moments(sides: Sides, moments: tuple[Moment, ...], zone: str) -> str:
    verb = "stop" if sides is Sides.STOP_ONLY else "start"
    parts = [
        describe_days(days) + " " + ", ".join(format_clock(m) for m in minutes)
        for days, minutes in _groups(moments)
    ]
    never = "never starts" if verb == "stop" else "never stops"
    return f"{sides.value}: {verb} {'; '.join(parts)}, {never} ({zone})"


def check_writable(schedule: Schedule) -> None:
    if schedule.cron or schedule.holidays or schedule.catch_up is not None:
        raise ScheduleError(
            f"schedule '{schedule.name}' uses cron, holidays or a catch_up window, which have "
            f"no inline or label form; {ONE_SIDED_FORMS}"
        )
    if not schedule.moments:
        raise ScheduleError(f"schedule '{schedule.name}' never switches: it has no inline form")


def one_sided_inline(schedule: Schedule) -> str:
    check_writable(schedule)
    parts = [
        ",".join(days) + " " + " ".join(format_clock(m) for m in minutes)
        for days, minutes in _groups(schedule.moments)
    ]
    return f"{schedule.sides.value} " + ", ".join(parts) + f" {schedule.timezone}"


def one_sided_label(schedule: Schedule) -> str:
    check_writable(schedule)
    parts = [
        "_".join(days) + "_" + "_".join(format_clock(m, "") for m in minutes)
        for days, minutes in _groups(schedule.moments)
    ]
    label = f"{schedule.sides.value}_" + "_".join(parts) + "_" + encode_zone(schedule.timezone)
    if len(label) > _MAX_LABEL:
        raise ScheduleError(
            f"'{label}' is {len(label)} characters; a label value holds at most {_MAX_LABEL}"
        )
    return label
