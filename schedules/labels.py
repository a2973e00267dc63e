"""The label-safe grammar (GCP label values: a-z 0-9 - _, at most 63 characters).

value   := group ("_" group)* ["_" zone]
group   := day ("_" day)* ("_" HHMM-HHMM)+
zone    := the IANA name in lower case with '/' -> '-', '-' -> '--', '+' -> '-plus'
It mirrors the inline form one to one: 'mon-fri 08:00-19:00 Europe/Berlin' is
'mon-fri_0800-1900_europe-berlin'.
"""

from __future__ import annotations

import re

from schedules.days import DAY_FORMS, check_span, format_clock, is_day_token, parse_day_token
from schedules.errors import ScheduleError
from schedules.inline import describe_periods, group_periods, to_inline
from schedules.model import Period, Schedule, Sides, Source
from schedules.onesided import one_sided_label
from schedules.zones import canonical_zone, decode_zone, encode_zone

MAX_LABEL = 63
LABEL_FORMS = (
    "valid label-safe forms: 'DAYS_HHMM-HHMM[_ZONE]', e.g. 'mon-fri_0800-1900_europe-berlin', "
    "'mon_wed_0900-1700', 'mon-fri_0800-1200_1300-1800_utc'; zone: lower case, '/' as '-', "
    "'-' as '--', '+' as '-plus'; " + DAY_FORMS
)
LABEL_CHARS = re.compile(r"[a-z0-9_-]+")
_RANGE = re.compile(r"([0-9]{2})([0-9]{2})-([0-9]{2})([0-9]{2})")


def looks_like_label(value: str) -> bool:
    return "_" in value and LABEL_CHARS.fullmatch(value.lower()) is not None


def _range(token: str) -> tuple[int, int] | None:
    match = _RANGE.fullmatch(token)
    if not match:
        return None
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, stop = h1 * 60 + m1, h2 * 60 + m2
    if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2):
        raise ScheduleError(
            f"'{token}' is not a time range; valid: HHMM-HHMM, 0000-2359, stop up to 2400"
        )
    check_span(start, stop, token)
    return start, stop


def parse_label(value: str, default_tz: str) -> Schedule:
    text = value.strip().lower()
    if not LABEL_CHARS.fullmatch(text):
        raise ScheduleError(f"'{value}' has characters a label cannot hold; {LABEL_FORMS}")
    tokens = text.split("_")
    periods: list[Period] = []
    days: list[str] = []
    after_range = False  # the previous token was a time range
    zone = canonical_zone(default_tz)
    for i, token in enumerate(tokens):
        if not token:
            raise ScheduleError(f"'{value}' has an empty part ('__'); {LABEL_FORMS}")
        span = _range(token)
        if span is not None:
            if not days:
                raise ScheduleError(f"'{token}' has no days before it; {LABEL_FORMS}")
            periods.append(Period(tuple(days), *span))
            after_range = True
        elif is_day_token(token):
            if after_range:
                days, after_range = [], False  # a day after a time range starts the next group
            days.append(parse_day_token(token)[0])
        elif after_range:
            zone = decode_zone("_".join(tokens[i:]))
            break
        else:
            raise ScheduleError(f"'{token}' is neither a day nor a time range; {LABEL_FORMS}")
    else:
        if not after_range:
            raise ScheduleError(f"'{value}' ends without a time range; {LABEL_FORMS}")
    frozen = tuple(periods)
    return Schedule(
        name=value.strip(),
        description=describe_periods(frozen, zone),
        timezone=zone,
        periods=frozen,
        source=Source.LABEL,
    )


def to_label(schedule: Schedule) -> str:
    """The label-safe form of a period or one-sided schedule; ScheduleError when it cannot
    fit 63 characters."""
    if schedule.sides is not Sides.BOTH:
        return one_sided_label(schedule)
    to_inline(schedule)  # same restrictions, same message
    parts = [
        "_".join(days)
        + "_"
        + "_".join(f"{format_clock(p.start, '')}-{format_clock(p.stop, '')}" for p in group)
        for days, group in group_periods(schedule.periods)
    ]
    label = "_".join(parts) + "_" + encode_zone(schedule.timezone)
    if len(label) > MAX_LABEL:
        raise ScheduleError(
            f"'{label}' is {len(label)} characters; a label value holds at most {MAX_LABEL}"
        )
    return label
