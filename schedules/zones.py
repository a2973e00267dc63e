"""Time-zone names: case-insensitive lookup of IANA names and the label-safe zone escape."""

from __future__ import annotations

import re
import zoneinfo
from functools import cache

from schedules.errors import ScheduleError


@cache
def _zones_by_lower() -> dict[str, str]:
    # IANA names are unique ignoring case (the database must install on case-insensitive
    # file systems), so lower case is a safe key and case can be restored by lookup.
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def canonical_zone(name: str) -> str:
    """'europe/berlin' -> 'Europe/Berlin'; unknown names raise ScheduleError."""
    found = _zones_by_lower().get(name.strip().lower())
    if found is None:
        raise ScheduleError(
            f"unknown time zone '{name}'; valid zones: IANA names such as Europe/Berlin, "
            "America/New_York or UTC"
        )
    return found


def is_zone(name: str) -> bool:
    return name.strip().lower() in _zones_by_lower()


@cache
def zone_info(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


# Label-safe zone escape (GCP label values: a-z 0-9 - _): lower case, '/' -> '-',
# '-' -> '--', '+' -> '-plus', '_' stays. IANA components never start with '-' or
# '+', so '--' and '-plus<digit>' cannot come from a '/'.
_PLUS = "-plus"
_LABEL_ZONE = re.compile(r"[a-z0-9_-]+")


def encode_zone(name: str) -> str:
    zone = canonical_zone(name)
    encoded = zone.lower().replace("-", "--").replace("/", "-").replace("+", _PLUS)
    if decode_zone(encoded) != zone:  # never emit a label that reads back as another zone
        raise ScheduleError(f"time zone '{zone}' has no label-safe form")
    return encoded


def decode_zone(encoded: str) -> str:
    if not _LABEL_ZONE.fullmatch(encoded):
        raise ScheduleError(
            f"'{encoded}' is not a label-safe time zone; valid: the lower-case IANA name with "
            "'/' written '-', '-' written '--', '+' written '-plus' (europe-berlin, "
            "america-port--au--prince, etc-gmt-plus12)"
        )
    out: list[str] = []
    i = 0
    while i < len(encoded):
        if encoded.startswith("--", i):
            out.append("-")
            i += 2
        elif (
            encoded.startswith(_PLUS, i) and encoded[i + len(_PLUS) : i + len(_PLUS) + 1].isdigit()
        ):
            out.append("+")
            i += len(_PLUS)
        elif encoded[i] == "-":
            out.append("/")
            i += 1
        else:
            out.append(encoded[i])
            i += 1
    decoded = "".join(out)
    if not is_zone(decoded):
        raise ScheduleError(
            f"'{encoded}' is not a known label-safe time zone (reads as '{decoded}'); "
            "valid label-safe zones look like europe-berlin, america-new_york, etc-gmt-plus12, utc"
        )
    return canonical_zone(decoded)
