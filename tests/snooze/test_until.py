"""From an action to the override's instant: counted from the stop, capped, to the minute."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import schedules
from functions.jobs.snooze.until import override_until, override_value

STOP = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)  # Monday
CATALOG = schedules.load_catalog(default_tz="Europe/London")


def until(action: str, now: datetime, spec: str | None = "office-hours", **kw: object) -> datetime:
    schedule = CATALOG.resolve(spec) if spec else None
    return override_until(action, STOP, now, schedule, "Europe/Berlin", **kw)  # type: ignore[arg-type]


def test_hours_count_from_the_stop_or_from_now_when_later() -> None:
    before = STOP - timedelta(minutes=15)
    assert until("keep-1h", before) == STOP + timedelta(hours=1)
    assert until("keep-2h", before) == STOP + timedelta(hours=2)
    late = STOP + timedelta(minutes=30, seconds=42)
    assert until("keep-1h", late) == datetime(2026, 11, 23, 20, 30, tzinfo=UTC)


def test_until_eight_is_local_to_the_schedule_else_the_default_zone() -> None:
    now = STOP - timedelta(minutes=10)
    assert until("keep-until-08", now) == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)  # London
    assert until("keep-until-08", now, spec=None) == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)


def test_skip_tonight_runs_to_the_schedules_next_start() -> None:
    friday_stop = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
    schedule = CATALOG.resolve("mon-fri 08:00-19:00 Europe/London")
    got = override_until("skip-tonight", friday_stop, friday_stop, schedule, "UTC")
    # Monday 08:00 is beyond the 24 h cap: the cap wins.
    assert got == friday_stop + timedelta(hours=24)
    got = override_until(
        "skip-tonight", friday_stop, friday_stop, schedule, "UTC", timedelta(hours=100)
    )
    assert got == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def test_the_cap_counts_from_now_and_across_a_dst_change() -> None:
    now = STOP - timedelta(minutes=5)
    assert until("keep-2h", now, cap=timedelta(hours=1)) == now.replace(second=0) + timedelta(
        hours=1
    )
    # The night Europe/London leaves summer time: 08:00 local is 08:00 UTC, not 07:00.
    stop = datetime(2026, 10, 24, 18, 0, tzinfo=UTC)
    got = override_until("keep-until-08", stop, stop, None, "Europe/London")
    assert got == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)


def test_the_override_value_is_label_safe_and_parses_back() -> None:
    value = override_value(datetime(2026, 11, 23, 21, 0, tzinfo=UTC))
    assert value == "running-until-20261123t2100z"
    assert value == value.lower() and len(value) <= 63
    assert schedules.parse_override(value).until == datetime(2026, 11, 23, 21, 0, tzinfo=UTC)


def test_unknown_actions_are_a_bug() -> None:
    with pytest.raises(ValueError):
        until("keep-forever", STOP)
