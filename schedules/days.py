"""Day and time-of-day tokens shared by the inline, label-safe and YAML grammars."""

from __future__ import annotations

import re
from collections.abc import Iterable

from schedules.errors import ScheduleError

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_NAMES = {
    "monday": "mon",
    "tuesday": "tue",
    "wednesday": "wed",
    "thursday": "thu",
    "friday": "fri",
    "saturday": "sat",
    "sunday": "sun",
}
DAY_ALIASES: dict[str, frozenset[int]] = {
    "daily": frozenset(range(7)),
    "weekdays": frozenset(range(5)),
    "weekends": frozenset({5, 6}),
}
DAY_FORMS = (
    "valid days: mon tue wed thu fri sat sun, a range like mon-fri (ranges may wrap: fri-mon), "
    "or daily, weekdays, weekends"
)
_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")


def _day_index(word: str) -> int | None:
    short = _FULL_NAMES.get(word, word)
    return DAY_NAMES.index(short) if short in DAY_NAMES else None


def parse_day_token(token: str) -> tuple[str, frozenset[int]]:
    """One day token -> (normalised token, weekday numbers 0=Monday)."""
    word = token.strip().lower()
    if word in DAY_ALIASES:
        return word, DAY_ALIASES[word]
    first, sep, last = word.partition("-")
    lo = _day_index(first)
    hi = _day_index(last) if sep else lo
    if lo is None or hi is None:
        raise ScheduleError(f"'{token}' is not a day: {DAY_FORMS}")
    if not sep or lo == hi:
        return DAY_NAMES[lo], frozenset({lo})
    span = (hi - lo) % 7  # a range may wrap past Sunday: fri-mon
    return f"{DAY_NAMES[lo]}-{DAY_NAMES[hi]}", frozenset((lo + i) % 7 for i in range(span + 1))


def is_day_token(token: str) -> bool:
    try:
        parse_day_token(token)
    except ScheduleError:
        return False
    return True


def expand_days(tokens: Iterable[str]) -> frozenset[int]:
    days: set[int] = set()
    for token in tokens:
        days |= parse_day_token(token)[1]
    return frozenset(days)


def parse_clock(text: str, is_stop: bool) -> int:
    """'08:00' -> minutes after midnight; '24:00' only as a stop."""
    match = _TIME.fullmatch(text.strip())
    if match:
        hours, minutes = int(match[1]), int(match[2])
        if minutes < 60 and (hours < 24 or (is_stop and hours == 24 and minutes == 0)):
            return hours * 60 + minutes
    allowed = "00:00-23:59, or 24:00 as a stop" if is_stop else "00:00-23:59"
    raise ScheduleError(f"'{text}' is not a time of day; valid times: HH:MM, {allowed}")


def check_span(start: int, stop: int, token: str) -> None:
    if start == stop:
        raise ScheduleError(
            f"'{token}': start equals stop; write 00:00-24:00 for all day, or leave the day out"
        )


def format_clock(minutes: int, sep: str = ":") -> str:
    return f"{minutes // 60:02d}{sep}{minutes % 60:02d}"


def describe_days(tokens: Iterable[str]) -> str:
    return ",".join(t.title() for t in tokens)
