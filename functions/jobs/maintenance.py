"""Maintenance windows in the plan: a resource its schedule keeps off runs through each
opening of its windows (entered a lead time early), and is stopped again after it.

Pure: the windows come from the schedule's catalog field (``maintenance``), from the
resource's ``maintenance-window`` tag written as an inline window (any cloud), or from
the SSM window that tag names (its fields put in ``Resource.extra`` by the AWS
discovery, one call per target). The ledger needs nothing special: the start closes the
off-period (its savings end where the window begins) and the stop after it opens a new
one, so maintenance hours are never booked as saved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from providers.base import Resource
from schedules import Schedule, ScheduleError, State
from schedules.maintenance import (
    SSM_ERROR_EXTRA,
    SSM_EXTRA,
    Window,
    covering,
    last_closed,
    parse_window,
    ssm_window_from,
)

# The ledger's x_Trigger for what a maintenance window started or stopped.
TRIGGER = "maintenance"


@dataclass(frozen=True)
class WindowEffect:
    """What a window changes in the schedule's intent: run from ``since`` (inside an
    opening), or be off from ``since`` (the end of the opening just left)."""

    state: State
    reason: str
    since: datetime


def windows_for(resource: Resource, schedule: Schedule, tag_key: str) -> tuple[Window, ...]:
    """Every window of the resource; ScheduleError names a bad tag or an unknown window."""
    found = [parse_window(text, schedule.timezone) for text in schedule.maintenance]
    value = resource.tags.get(tag_key)
    if value is None or not value.strip():
        return tuple(found)
    if SSM_ERROR_EXTRA in resource.extra:
        raise ScheduleError(resource.extra[SSM_ERROR_EXTRA])
    if SSM_EXTRA in resource.extra:
        fields = json.loads(resource.extra[SSM_EXTRA])
        if fields.get("Enabled", True):  # a disabled window never opens
            found.append(ssm_window_from(fields))
    elif " " in value.strip() or ":" in value:
        found.append(parse_window(value, schedule.timezone))
    else:
        raise ScheduleError(
            f"no maintenance window named {value!r}: give an SSM window's name or id (AWS) "
            "or a window like 'sun 02:00-04:00 Europe/Berlin'"
        )
    return tuple(found)


def effect(
    windows: tuple[Window, ...],
    scheduled_off_since: datetime | None,
    now: datetime,
    lead: timedelta,
    zone: str,
) -> WindowEffect | None:
    """For a resource its schedule wants off since ``scheduled_off_since``: run inside an
    opening; after one that ended since the schedule's stop, be off from its end (a start
    the window made is no manual start with a grace period)."""
    opening = covering(windows, now, lead)
    if opening is not None:
        on_from = opening.start - lead
        return WindowEffect(
            State.RUNNING,
            f"maintenance window {opening.describe(zone)}: running from "
            f"{_local(on_from, zone)} ({_minutes(lead)} early)",
            on_from,
        )
    closed = last_closed(windows, now)
    if closed is None or (scheduled_off_since is not None and closed.end <= scheduled_off_since):
        return None
    return WindowEffect(
        State.STOPPED,
        f"maintenance window {closed.describe(zone)} over: off since {_local(closed.end, zone)}",
        closed.end,
    )


def _local(at: datetime, zone: str) -> str:
    return f"{at.astimezone(ZoneInfo(zone)):%a %H:%M}"


def _minutes(lead: timedelta) -> str:
    return f"{int(lead.total_seconds() // 60)} min"
