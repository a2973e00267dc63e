"""The override tag: ``running-until-20261129t2000z``, ``stopped-until-...``, ``opt-out``/``skip``.

Label-safe (GCP rules), case-insensitive, instants in UTC to the minute. Whether an
override still holds is a pure function of (override, at); callers report expired ones.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from schedules.errors import ScheduleError
from schedules.model import Override
from schedules.wallclock import require_aware

OVERRIDE_FORMS = (
    "valid override forms: 'running-until-YYYYMMDDtHHMMz', 'stopped-until-YYYYMMDDtHHMMz' "
    "(UTC, e.g. running-until-20261129t2000z), or 'opt-out' / 'skip' to leave the resource alone"
)
_UNTIL = re.compile(r"(running|stopped)-until-([0-9]{4})([0-9]{2})([0-9]{2})t([0-9]{2})([0-9]{2})z")
OPT_OUT_VALUES = frozenset({"opt-out", "skip"})


def parse_override(value: str) -> Override:
    if not isinstance(value, str):
        raise ScheduleError(f"override must be text, got {value!r}; {OVERRIDE_FORMS}")
    text = value.strip().lower()
    if text in OPT_OUT_VALUES:
        return Override("opt-out", None)
    match = _UNTIL.fullmatch(text)
    if not match:
        raise ScheduleError(f"'{value}' is not an override; {OVERRIDE_FORMS}")
    year, month, day, hour, minute = (int(g) for g in match.groups()[1:])
    try:
        until = datetime(year, month, day, hour, minute, tzinfo=UTC)
    except ValueError as err:
        raise ScheduleError(f"'{value}' names no real instant ({err}); {OVERRIDE_FORMS}") from err
    return Override("running" if match[1] == "running" else "stopped", until)


def override_active(override: Override, at: datetime) -> bool:
    """True while the override holds: opt-out always, the others until ``until`` (exclusive)."""
    require_aware(at)
    if override.until is None:
        return override.mode == "opt-out"
    return at < override.until


def format_override(override: Override) -> str:
    """The tag value for an override (the inverse of parse_override)."""
    if override.mode == "opt-out" or override.until is None:
        return "opt-out"
    until = require_aware(override.until, "until").astimezone(UTC)
    return f"{override.mode}-until-{until:%Y%m%d}t{until:%H%M}z"
