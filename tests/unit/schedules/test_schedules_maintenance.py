"""Maintenance windows, pure: SSM cron/rate windows in their time zone (DST included),
windows written as inline schedules, entered a lead time early.

SSM facts from the AWS Systems Manager API reference (2014-11-06) and its user guide
"Reference: Cron and rate expressions for Systems Manager": six cron fields
``cron(MIN HOUR DOM MONTH DOW YEAR)`` with ``?`` for "any", days of week 1-7 = SUN-SAT
or names, ``DOW#N`` for the Nth weekday of the month; ``rate(N unit)`` windows count
from their ``StartDate``; ``Duration`` 1-24 hours; ``ScheduleTimezone`` an IANA name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import schedules
from schedules.maintenance import (
    DEFAULT_LEAD,
    covering,
    last_closed,
    parse_window,
    ssm_window,
    ssm_window_from,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_an_ssm_cron_window_opens_in_its_time_zone_and_is_entered_ten_minutes_early() -> None:
    window = ssm_window("patch", "cron(0 2 ? * SUN *)", "Europe/Berlin", 2, 1)
    # Sun 2026-12-06 02:00 Berlin is 01:00 UTC (CET, UTC+1).
    assert covering((window,), utc(2026, 12, 6, 0, 49), DEFAULT_LEAD) is None
    opening = covering((window,), utc(2026, 12, 6, 0, 50), DEFAULT_LEAD)
    assert opening is not None
    assert (opening.start, opening.end) == (utc(2026, 12, 6, 1), utc(2026, 12, 6, 3))
    assert covering((window,), utc(2026, 12, 6, 3), DEFAULT_LEAD) is None
    assert last_closed((window,), utc(2026, 12, 6, 3)) == opening
    assert opening.describe("Europe/Berlin") == "patch Sun 02:00-04:00 Europe/Berlin"


def test_summer_time_moves_the_window_in_utc() -> None:
    window = ssm_window("patch", "cron(0 2 ? * SUN *)", "Europe/Berlin", 2, 0)
    # Sun 2026-07-05 02:00 Berlin is 00:00 UTC (CEST, UTC+2).
    (opening,) = window.openings(utc(2026, 7, 4), utc(2026, 7, 6))
    assert opening.start == utc(2026, 7, 5, 0)


def test_aws_day_numbers_and_nth_weekday() -> None:
    # 1-7 is SUN-SAT for AWS: 2-6 is Monday to Friday.
    weekdays = ssm_window("w", "cron(30 23 ? * 2-6 *)", "UTC", 1, 0)
    found = weekdays.openings(utc(2026, 11, 23), utc(2026, 11, 30))
    assert [o.start.weekday() for o in found] == [0, 1, 2, 3, 4]
    # The second Tuesday of the month (a patch Tuesday).
    second = ssm_window("p", "cron(0 3 ? * TUE#2 *)", "UTC", 3, 0)
    starts = [o.start for o in second.openings(utc(2026, 12, 1), utc(2027, 2, 1))]
    assert starts == [utc(2026, 12, 8, 3), utc(2027, 1, 12, 3)]


def test_schedule_offset_and_year_field() -> None:
    offset = ssm_window("o", "cron(0 3 ? * TUE#2 *)", "UTC", 3, 0, offset_days=2)
    (opening,) = offset.openings(utc(2026, 12, 1), utc(2026, 12, 31))
    assert opening.start == utc(2026, 12, 10, 3)
    only_2027 = ssm_window("y", "cron(0 3 ? * SUN 2027)", "UTC", 1, 0)
    assert only_2027.openings(utc(2026, 12, 1), utc(2026, 12, 31)) == []


def test_a_rate_window_counts_from_its_start_date() -> None:
    window = ssm_window_from(
        {
            "Name": "weekly",
            "Schedule": "rate(7 days)",
            "Duration": 3,
            "Cutoff": 0,
            "StartDate": "2026-12-06T02:00:00Z",
        }
    )
    starts = [o.start for o in window.openings(utc(2026, 11, 1), utc(2026, 12, 21))]
    assert starts == [utc(2026, 12, 6, 2), utc(2026, 12, 13, 2), utc(2026, 12, 20, 2)]


@pytest.mark.parametrize(
    ("expression", "duration", "start", "words"),
    [
        ("cron(0 2 * *)", 2, "", "six fields"),
        ("at(2026-12-06T02:00:00)", 2, "", "not usable"),
        ("rate(1 day)", 2, "", "without a StartDate"),
        ("cron(0 2 ? * SUN *)", 0, "", "Duration 0"),
        ("cron(0 2 ? * 6L *)", 2, "", "cron"),
    ],
)
def test_unusable_ssm_windows_say_why(
    expression: str, duration: int, start: str, words: str
) -> None:
    with pytest.raises(schedules.ScheduleError, match=words):
        ssm_window("bad", expression, "UTC", duration, 0, start_date=start)


def test_a_window_written_as_a_schedule() -> None:
    window = parse_window("sun 02:00-04:00 Europe/Berlin")
    found = window.openings(utc(2026, 11, 30), utc(2026, 12, 14))
    assert [(o.start, o.end) for o in found] == [
        (utc(2026, 12, 6, 1), utc(2026, 12, 6, 3)),
        (utc(2026, 12, 13, 1), utc(2026, 12, 13, 3)),
    ]
    lead = timedelta(minutes=30)
    assert covering((window,), utc(2026, 12, 6, 0, 30), lead) == found[0]
    assert covering((window,), utc(2026, 12, 6, 0, 29), lead) is None


def test_the_catalog_field_is_checked_when_the_catalog_is_read(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    (folder / "team.yaml").write_text(
        "schedules:\n"
        "  - name: patched-office\n"
        "    timezone: Europe/Berlin\n"
        "    periods: [{days: mon-fri, start: '08:00', stop: '19:00'}]\n"
        "    maintenance: sun 02:00-04:00\n"
    )
    catalog = schedules.load_catalog([folder])
    assert catalog.resolve("patched-office").maintenance == ("sun 02:00-04:00",)
    (folder / "team.yaml").write_text(
        "schedules:\n  - name: broken\n    periods: []\n    maintenance: [sunday at two]\n"
    )
    with pytest.raises(schedules.ScheduleError, match="field 'maintenance\\[0\\]'"):
        schedules.load_catalog([folder])
