"""Cloud Custodian offhours tag values: ``off=(M-F,19);on=(M-F,7);tz=pt``.

Case-insensitive; ``uXX`` escapes decoded first; ``off`` and ``on`` take one
``(days,hour)`` or a list ``[(M-F,21),(U,18)]``; days are M T W H F S U, single,
ranges (which wrap) or several separated by commas before the hour; hours are whole
hours 0-23; a missing side takes the default (off 19, on 7, Monday-Friday); a missing
``tz`` takes the catalog's default zone. The value ``off`` opts the resource out.
"""

from __future__ import annotations

import re

from schedules.errors import ScheduleError
from schedules.model import Event, Schedule, Source, State
from schedules.zones import canonical_zone

CUSTODIAN_FORMS = (
    "valid Custodian forms: 'off=(M-F,19);on=(M-F,7);tz=pt', lists 'off=[(M-F,21),(U,18)]', "
    "days M T W H F S U (ranges like M-F), whole hours 0-23, 'off' alone opts out"
)
_ESCAPES = {
    "28": "(",
    "29": ")",
    "5b": "[",
    "5d": "]",
    "2c": ",",
    "3b": ";",
    "3d": "=",
    "2f": "/",
    "2d": "-",
}
_ESCAPE = re.compile(r"u(28|29|5b|5d|2c|3b|3d|2f|2d)")
_DAY_LETTERS = "mtwhfsu"
_ENTRY = re.compile(r"\(([^()]*)\)")
_START = re.compile(r"(off|on|tz)=")
_HOUR = re.compile(r"[0-9]{1,2}")
# Zone aliases Custodian documents: places that follow DST, not fixed offsets.
TZ_ALIASES = {
    "pt": "America/Los_Angeles",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "mt": "America/Denver",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "ct": "America/Chicago",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "et": "America/New_York",
    "est": "America/New_York",
    "edt": "America/New_York",
    "at": "America/Phoenix",
    "ast": "America/Phoenix",
    "bst": "Europe/London",
    "ist": "Europe/Dublin",
    "cet": "Europe/Berlin",
    "cest": "Europe/Berlin",
    "it": "Europe/Rome",
    "jst": "Asia/Tokyo",
    "kst": "Asia/Seoul",
    "sgt": "Asia/Singapore",
    "aet": "Australia/Sydney",
    "brt": "America/Sao_Paulo",
    "nzst": "Pacific/Auckland",
    "nzdt": "Pacific/Auckland",
    "utc": "Etc/UTC",
    "gmt": "Etc/GMT",
}
DEFAULT_OFF = "(m-f,19)"
DEFAULT_ON = "(m-f,7)"


def decode(value: str) -> str:
    return _ESCAPE.sub(lambda m: _ESCAPES[m[1]], "".join(value.split()).lower())


def looks_like_custodian(value: str) -> bool:
    text = decode(value)
    return text == "off" or _START.match(text) is not None


def _day(letter: str, entry: str) -> int:
    if len(letter) != 1 or letter not in _DAY_LETTERS:
        raise ScheduleError(
            f"'{letter}' in '({entry})' is not a day M T W H F S U; {CUSTODIAN_FORMS}"
        )
    return _DAY_LETTERS.index(letter)


def _days(spec: str, entry: str) -> set[int]:
    days: set[int] = set()
    for item in spec.split(","):
        first, sep, last = item.partition("-")
        lo = _day(first, entry)
        hi = _day(last, entry) if sep else lo
        days |= {(lo + i) % 7 for i in range((hi - lo) % 7 + 1)}  # ranges wrap: F-M
    return days


def _entries(side: str, spec: str) -> list[Event]:
    body = spec[1:-1] if spec.startswith("[") and spec.endswith("]") else spec
    entries = _ENTRY.findall(body)
    if not entries or _ENTRY.sub("", body) != "," * (len(entries) - 1):
        raise ScheduleError(
            f"'{side}={spec}' is not '(days,hour)' or a list of them; {CUSTODIAN_FORMS}"
        )
    state = State.STOPPED if side == "off" else State.RUNNING
    events: list[Event] = []
    for entry in entries:
        day_spec, _, hour_text = entry.rpartition(",")
        if not _HOUR.fullmatch(hour_text) or int(hour_text) > 23:
            raise ScheduleError(
                f"'{hour_text}' in '({entry})' is not a whole hour 0-23; {CUSTODIAN_FORMS}"
            )
        minute = int(hour_text) * 60
        events.extend(Event(day, minute, state) for day in sorted(_days(day_spec, entry)))
    return events


def _zone(text: str) -> str:
    alias = TZ_ALIASES.get(text)
    if alias:
        return alias
    try:
        return canonical_zone(text)
    except ScheduleError as err:
        raise ScheduleError(
            f"unknown Custodian tz '{text}'; valid zones: the aliases "
            f"{', '.join(TZ_ALIASES)} or an IANA name"
        ) from err


def parse_custodian(value: str, default_tz: str) -> Schedule:
    text = decode(value)
    if text == "off":
        return Schedule(
            name="off",
            description="opted out (Cloud Custodian 'off'): offhours leaves the resource alone",
            timezone=canonical_zone(default_tz),
            opt_out=True,
            source=Source.CUSTODIAN,
        )
    sides: dict[str, str] = {}
    for part in filter(None, text.split(";")):
        key, sep, rest = part.partition("=")
        if not sep or key not in ("off", "on", "tz") or not rest:
            raise ScheduleError(f"'{part}' is not off=..., on=... or tz=...; {CUSTODIAN_FORMS}")
        if key in sides:
            raise ScheduleError(f"'{key}' is given twice in '{value}'; {CUSTODIAN_FORMS}")
        sides[key] = rest
    off = sides.get("off", DEFAULT_OFF)
    on = sides.get("on", DEFAULT_ON)
    events = tuple(_entries("on", on) + _entries("off", off))
    zone = _zone(sides["tz"]) if "tz" in sides else canonical_zone(default_tz)
    return Schedule(
        name=value.strip(),
        description=f"Cloud Custodian offhours: off={off} on={on} ({zone})",
        timezone=zone,
        events=events,
        source=Source.CUSTODIAN,
    )
