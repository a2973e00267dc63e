"""What a person already decided about a resource, which a snooze link never overrides.
Pure: the resource's tags, its schedule and the instant are parameters.

An opt-out (the override tag ``opt-out``/``skip``, or a schedule that opts out) means
offhours leaves the resource alone: a snooze would replace that decision with an expiry,
after which the scheduler would stop a box its owner had opted out. A ``running-until``
override that already lasts at least as long as the link asks stays as it is, so no link
shortens a keep an administrator set, and of several links of one notice the longest
stands. A ``stopped-until`` override is someone's decision to keep it off.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import schedules
from schedules import override_active, parse_override


@dataclass(frozen=True)
class Refusal:
    title: str
    message: str


def refusal(
    tags: Mapping[str, str],
    override_key: str,
    tag_key: str,
    schedule: schedules.Schedule | None,
    now: datetime,
) -> Refusal | None:
    """Why a snooze must not touch this resource, or None."""
    value = tags.get(override_key, "")
    override = _override(value)
    if override is not None and override.mode == "opt-out":
        return Refusal(
            "This resource is opted out",
            f"Its {override_key} tag is {value.strip()!r}: offhours never stops it, so there "
            f"is nothing to keep running. To have it scheduled again, remove the "
            f"{override_key} tag; then its {tag_key} tag applies.",
        )
    if schedule is not None and schedule.opt_out:
        return Refusal(
            "This resource is opted out",
            f"Its {tag_key} tag opts it out: offhours never stops it. To have it scheduled "
            f"again, set its {tag_key} tag to a schedule.",
        )
    if override is not None and override.mode == "stopped" and override_active(override, now):
        return Refusal(
            "This resource is kept stopped",
            f"Its {override_key} tag keeps it stopped until {override.until:%Y-%m-%d %H:%M} "
            "UTC; a snooze link does not change that. Remove the tag to start it again.",
        )
    return None


def kept_until(tags: Mapping[str, str], override_key: str, now: datetime) -> datetime | None:
    """The end of a ``running-until`` override still in force, or None."""
    override = _override(tags.get(override_key, ""))
    if override is None or override.mode != "running" or not override_active(override, now):
        return None
    return override.until


def _override(value: str) -> schedules.Override | None:
    if not value.strip():
        return None
    try:
        return parse_override(value)
    except schedules.ScheduleError:
        return None  # a broken tag is the planner's problem; a snooze may replace it
