"""Cloud Custodian offhours tag values: ``off=(M-F,19);on=(M-F,7);tz=pt``.

Read as Custodian's own ``c7n/filters/offhours.py`` reads them (``Time.get_tag_value``,
``ScheduleParser``; see schedules/README.md): the value is lowercased, ``uXX`` escapes
decoded and surrounding quotes dropped; empty ``;`` pieces are ignored; ``off`` alone
opts the resource out; a value with neither ``off=`` nor ``on=`` (``on``, ``tz=pt``,
``offhours tz=pt``) takes the default schedule (off 19, on 7, Monday-Friday) in its
``tz``. ``off``/``on`` take ``(days,hour)``, a list ``[(M-F,21),(U,18)]``, brackets
without parentheses ``[M-F,20]`` or a bare ``M-F,19``; days are M T W H F S U, single or
ranges (which wrap); hours whole 0-23; a missing side takes the default. ``tz`` takes
Custodian's ``TZ_ALIASES`` or any IANA name, case-insensitive. Two additions: several
days before the hour ``(M,W,F,19)``, and ``off=disabled`` / ``on=disabled`` for a side
that never acts (a start-only or stop-only schedule; both disabled opts out).
"""

from __future__ import annotations

import re

from schedules.days import DAY_NAMES
from schedules.errors import ScheduleError
from schedules.model import Event, Moment, Schedule, Sides, Source, State
from schedules.zones import canonical_zone

CUSTODIAN_FORMS = (
    "valid Custodian forms: 'off=(M-F,19);on=(M-F,7);tz=pt', lists 'off=[(M-F,21),(U,18)]', "
    "days M T W H F S U (ranges like M-F), whole hours 0-23, 'off=disabled' for a side "
    "that never acts, 'off' alone opts out"
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
_START = re.compile(r"(off|on|tz)=")
_HOUR = re.compile(r"[0-9]{1,2}")
_KEYS = ("off", "on", "tz")
DISABLED = "disabled"
# Custodian's own table (``Time.TZ_ALIASES`` in c7n/filters/offhours.py, cloud-custodian
# commit df800e9, 2026-08-22), entry for entry: note ``it`` is India and ``gt`` GMT.
TZ_ALIASES = {
    "pdt": "America/Los_Angeles",
    "pt": "America/Los_Angeles",
    "pst": "America/Los_Angeles",
    "ast": "America/Phoenix",
    "at": "America/Phoenix",
    "est": "America/New_York",
    "edt": "America/New_York",
    "et": "America/New_York",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "ct": "America/Chicago",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "mt": "America/Denver",
    "gmt": "Etc/GMT",
    "gt": "Etc/GMT",
    "bst": "Europe/London",
    "ist": "Europe/Dublin",
    "cet": "Europe/Berlin",
    "it": "Asia/Kolkata",
    "jst": "Asia/Tokyo",
    "kst": "Asia/Seoul",
    "sgt": "Asia/Singapore",
    "aet": "Australia/Sydney",
    "brt": "America/Sao_Paulo",
    "nzst": "Pacific/Auckland",
    "utc": "Etc/UTC",
}
DEFAULT_OFF = "(m-f,19)"
DEFAULT_ON = "(m-f,7)"


def decode(value: str) -> str:
    """As Custodian reads a tag: lowercased, escapes decoded, quotes around it dropped
    (people copy the documentation's quotes), empty ``;`` pieces left out."""
    text = _ESCAPE.sub(lambda m: _ESCAPES[m[1]], value.strip().lower())
    text = text.strip("'").strip('"').strip()
    return ";".join(piece for piece in text.split(";") if piece.strip())


def _pairs(text: str) -> dict[str, str]:
    """Custodian's ``raw_data``: the ``key=value`` words (split on spaces and ``;``);
    other words are ignored."""
    found: dict[str, str] = {}
    for word in re.split(r"[\s;]+", text):
        parts = word.split("=")
        if len(parts) == 2:
            found[parts[0]] = parts[1]
    return found


def looks_like_custodian(value: str) -> bool:
    text = decode(value)
    if text in ("off", "on") or _START.match(text):
        return True
    pairs = _pairs(text)
    return bool(pairs) and set(pairs) <= set(_KEYS)


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
    """Custodian's ``parse_resource_schedule``: brackets removed, split at ``,(``, each
    entry's parentheses removed, then ``days,hour``."""
    body = spec.replace("[", "").replace("]", "")
    entries = [e.replace("(", "").replace(")", "") for e in body.split(",(")]
    state = State.STOPPED if side == "off" else State.RUNNING
    events: list[Event] = []
    for entry in entries:
        day_spec, comma, hour_text = entry.rpartition(",")
        if not comma or not day_spec:
            raise ScheduleError(
                f"'{side}={spec}' is not '(days,hour)' or a list of them; {CUSTODIAN_FORMS}"
            )
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


def _sides(text: str, value: str) -> dict[str, str]:
    """The value's ``off``/``on``/``tz``. With a side given, every ``;`` piece must be a
    known ``key=value`` (Custodian's ``parse``); without, only ``tz`` is read."""
    pairs = _pairs(text)
    unknown = sorted(set(pairs) - set(_KEYS))
    if unknown:
        raise ScheduleError(f"'{unknown[0]}=' is not off=, on= or tz=; {CUSTODIAN_FORMS}")
    if "off" not in pairs and "on" not in pairs:
        return {"tz": pairs["tz"]} if pairs.get("tz") else {}
    sides: dict[str, str] = {}
    for part in ("".join(p.split()) for p in text.split(";")):
        key, sep, rest = part.partition("=")
        if not sep or key not in _KEYS or not rest:
            raise ScheduleError(f"'{part}' is not off=..., on=... or tz=...; {CUSTODIAN_FORMS}")
        if key in sides:
            raise ScheduleError(f"'{key}' is given twice in '{value}'; {CUSTODIAN_FORMS}")
        sides[key] = rest
    return sides


def _opted_out(zone: str, why: str) -> Schedule:
    return Schedule(
        name="off",
        description=f"opted out (Cloud Custodian {why}): offhours leaves the resource alone",
        timezone=zone,
        opt_out=True,
        source=Source.CUSTODIAN,
    )


def parse_custodian(value: str, default_tz: str) -> Schedule:
    text = decode(value)
    if text == "off":
        return _opted_out(canonical_zone(default_tz), "'off'")
    sides = _sides(text, value) if text != "on" else {}
    zone = _zone(sides["tz"]) if "tz" in sides else canonical_zone(default_tz)
    off = sides.get("off", DEFAULT_OFF)
    on = sides.get("on", DEFAULT_ON)
    if off == DISABLED and on == DISABLED:
        return _opted_out(zone, "off=disabled;on=disabled")
    if DISABLED in (off, on):
        return _one_sided(value, off, on, zone)
    events = tuple(_entries("on", on) + _entries("off", off))
    return Schedule(
        name=value.strip(),
        description=f"Cloud Custodian offhours: off={off} on={on} ({zone})",
        timezone=zone,
        events=events,
        source=Source.CUSTODIAN,
    )


def _one_sided(value: str, off: str, on: str, zone: str) -> Schedule:
    """``off=disabled``: only the ``on`` switches (start-only); ``on=disabled``: only
    the ``off`` ones (stop-only)."""
    side, spec = ("on", on) if off == DISABLED else ("off", off)
    sides = Sides.START_ONLY if side == "on" else Sides.STOP_ONLY
    moments = tuple(Moment((DAY_NAMES[e.day],), e.minute) for e in _entries(side, spec))
    return Schedule(
        name=value.strip(),
        description=f"Cloud Custodian offhours: {side}={spec}, the other side disabled ({zone})",
        timezone=zone,
        source=Source.CUSTODIAN,
        sides=sides,
        moments=moments,
    )
