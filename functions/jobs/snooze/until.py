"""From a snooze action to the instant the override holds until. Pure.

``keep-1h`` / ``keep-2h`` count from the stop the link was issued for (or from now when
the link is opened after it), ``keep-until-08`` runs to the next 08:00 in the schedule's
zone, ``skip-tonight`` to the schedule's next start (08:00 when the schedule has none).
Every override is capped at ``cap`` from now and rounded down to the minute, the
precision of the override tag.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import schedules
from schedules import Override

DEFAULT_CAP = timedelta(hours=24)
MORNING = time(8, 0)


def override_until(
    action: str,
    stop_at: datetime,
    now: datetime,
    schedule: schedules.Schedule | None,
    default_tz: str,
    cap: timedelta = DEFAULT_CAP,
) -> datetime:
    base = max(stop_at, now)
    zone = schedule.timezone if schedule is not None else default_tz
    match action:
        case "keep-1h":
            until = base + timedelta(hours=1)
        case "keep-2h":
            until = base + timedelta(hours=2)
        case "keep-until-08":
            until = next_local(base, MORNING, zone)
        case "skip-tonight":
            until = next_start(schedule, base) or next_local(base, MORNING, zone)
        case _:
            raise ValueError(f"unknown snooze action {action!r}")
    return min(until, now + cap).astimezone(UTC).replace(second=0, microsecond=0)


def override_value(until: datetime) -> str:
    """``running-until-20261129t2000z``: lowercase and label-safe (GCP)."""
    return schedules.format_override(Override("running", until))


def next_local(after: datetime, at: time, zone: str) -> datetime:
    """The first wall-clock ``at`` in ``zone`` strictly after ``after``."""
    tz = ZoneInfo(zone)
    local = after.astimezone(tz)
    candidate = datetime.combine(local.date(), at, tz)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), at, tz)
    return candidate


def next_start(schedule: schedules.Schedule | None, after: datetime) -> datetime | None:
    """The schedule's next switch to running after ``after`` (within a week)."""
    if schedule is None or schedule.opt_out:
        return None
    at = after
    for _ in range(16):
        change = schedules.next_transition(schedule, at)
        if change is None or change[0] - after > timedelta(days=8):
            return None
        if change[1] is schedules.State.RUNNING:
            return change[0]
        at = change[0]
    return None
