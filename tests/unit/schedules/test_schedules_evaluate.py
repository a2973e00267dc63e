"""Fixed-instant evaluation: periods, wrap-around, holidays, cron pairs, DST, odd zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from schedules import (
    Catalog,
    CronPair,
    Holidays,
    Period,
    Schedule,
    ScheduleError,
    State,
    desired_state,
    load_catalog,
    next_transition,
    running_hours_per_week,
    transitions,
)

R, S = State.RUNNING, State.STOPPED
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")
LA = ZoneInfo("America/Los_Angeles")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(default_tz="Europe/Berlin")


def berlin(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=BERLIN)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def changes(schedule: Schedule, start: datetime, end: datetime) -> list[tuple[str, str]]:
    return [(t.isoformat(), s.value) for t, s in transitions(schedule, start, end)]


# 2026-11-30 is a Monday.
@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (berlin(2026, 11, 30, 7, 59), S),
        (berlin(2026, 11, 30, 8, 0), R),
        (berlin(2026, 11, 30, 18, 59, 59), R),
        (berlin(2026, 11, 30, 19, 0), S),
        (berlin(2026, 12, 5, 10, 0), S),  # Saturday
        (utc(2026, 11, 30, 7, 30), R),  # 08:30 in Berlin
    ],
)
def test_office_hours(catalog: Catalog, at: datetime, expected: State) -> None:
    assert desired_state(catalog.resolve("office-hours"), at) == expected


def test_bundled_catalog_running_hours(catalog: Catalog) -> None:
    hours = {s.name: running_hours_per_week(s) for s in catalog}
    assert hours == {
        "always-off": 0,
        "always-on": 168,
        "daytime": 112,
        "extended-hours": 75,
        "office-hours": 55,
        "weekdays": 120,
    }


def test_weekdays_is_continuous_monday_to_saturday(catalog: Catalog) -> None:
    weekdays = catalog.resolve("weekdays")
    assert changes(weekdays, berlin(2026, 11, 28), berlin(2026, 12, 7, 12)) == [
        ("2026-11-30T00:00:00+01:00", "running"),
        ("2026-12-05T00:00:00+01:00", "stopped"),
        ("2026-12-07T00:00:00+01:00", "running"),
    ]


def test_always_on_and_off_never_change(catalog: Catalog) -> None:
    at = berlin(2026, 11, 30, 3, 0)
    assert desired_state(catalog.resolve("always-on"), at) == R
    assert desired_state(catalog.resolve("always-off"), at) == S
    assert next_transition(catalog.resolve("always-on"), at) is None
    assert next_transition(catalog.resolve("always-off"), at) is None
    assert transitions(catalog.resolve("always-on"), at, at + timedelta(days=30)) == []


def test_adjacent_and_overlapping_periods_are_continuous(catalog: Catalog) -> None:
    for spec in ("daily 05:00-10:00 10:00-15:00 UTC", "daily 05:00-11:00, daily 09:00-15:00 UTC"):
        schedule = catalog.resolve(spec)
        assert changes(schedule, utc(2026, 11, 30), utc(2026, 11, 30, 23)) == [
            ("2026-11-30T05:00:00+00:00", "running"),
            ("2026-11-30T15:00:00+00:00", "stopped"),
        ]


def test_overnight_period_wraps_into_next_day(catalog: Catalog) -> None:
    night = catalog.resolve("mon-fri 22:00-06:00 UTC")
    got = changes(night, utc(2026, 11, 29), utc(2026, 12, 7))
    assert got[0] == ("2026-11-30T22:00:00+00:00", "running")
    assert got[1] == ("2026-12-01T06:00:00+00:00", "stopped")
    assert got[-2:] == [
        ("2026-12-04T22:00:00+00:00", "running"),
        ("2026-12-05T06:00:00+00:00", "stopped"),  # Friday night runs into Saturday
    ]
    assert desired_state(night, utc(2026, 11, 30, 3)) == S  # Monday early: Sunday is off
    assert running_hours_per_week(night) == 40


def test_weekday_range_wraps_past_sunday(catalog: Catalog) -> None:
    long_weekend = catalog.resolve("fri-mon 09:00-17:00 UTC")
    # Fri 4, Sat 5, Sun 6, Mon 7 December run; Tue-Thu do not.
    running_days = [
        day for day in range(1, 8) if desired_state(long_weekend, utc(2026, 12, day, 12)) == R
    ]
    assert running_days == [4, 5, 6, 7]


def test_sunday_overnight_wraps_into_monday(catalog: Catalog) -> None:
    sunday_night = catalog.resolve("sun 20:00-02:00 UTC")
    assert desired_state(sunday_night, utc(2026, 12, 7, 1, 59)) == R  # Monday 01:59
    assert desired_state(sunday_night, utc(2026, 12, 7, 2, 0)) == S
    assert running_hours_per_week(sunday_night) == 6


def test_midnight_stop_and_start_next_day_is_continuous(catalog: Catalog) -> None:
    schedule = catalog.resolve("mon 18:00-24:00, tue 00:00-08:00 UTC")
    assert changes(schedule, utc(2026, 11, 30), utc(2026, 12, 2)) == [
        ("2026-11-30T18:00:00+00:00", "running"),
        ("2026-12-01T08:00:00+00:00", "stopped"),
    ]


# Holidays ---------------------------------------------------------------------------


def _holiday_office(**holidays: object) -> Schedule:
    return Schedule(
        name="us-office",
        description="",
        timezone="America/Los_Angeles",
        periods=(Period(("mon-fri",), 8 * 60, 19 * 60),),
        holidays=Holidays(**holidays),  # type: ignore[arg-type]
    )


def test_us_thanksgiving_is_off_all_day() -> None:
    office = _holiday_office(country="US")
    assert desired_state(office, datetime(2026, 11, 26, 10, tzinfo=LA)) == S  # Thanksgiving
    assert desired_state(office, datetime(2026, 11, 27, 10, tzinfo=LA)) == R  # not federal
    assert changes(
        office, datetime(2026, 11, 25, 12, tzinfo=LA), datetime(2026, 11, 28, tzinfo=LA)
    ) == [
        ("2026-11-25T19:00:00-08:00", "stopped"),
        ("2026-11-27T08:00:00-08:00", "running"),
        ("2026-11-27T19:00:00-08:00", "stopped"),
    ]
    assert running_hours_per_week(office) == 55  # a typical week ignores holidays


def test_subdivision_calendar_adds_state_holidays() -> None:
    office = _holiday_office(country="US", subdivision="CA")
    assert desired_state(office, datetime(2026, 11, 27, 10, tzinfo=LA)) == S  # day after


def test_explicit_holiday_date() -> None:
    office = _holiday_office(dates=(date(2026, 12, 24),))
    assert desired_state(office, datetime(2026, 12, 24, 10, tzinfo=LA)) == S
    assert desired_state(office, datetime(2026, 12, 23, 10, tzinfo=LA)) == R
    assert next_transition(office, datetime(2026, 12, 23, 20, tzinfo=LA)) == (
        datetime(2026, 12, 25, 8, tzinfo=LA),
        R,
    )


def test_period_running_into_a_holiday_stops_at_its_midnight() -> None:
    night = Schedule(
        name="night",
        description="",
        timezone="UTC",
        periods=(Period(("mon-fri",), 22 * 60, 6 * 60),),
        holidays=Holidays(dates=(date(2026, 12, 2),)),  # a Wednesday
    )
    assert changes(night, utc(2026, 12, 1, 12), utc(2026, 12, 4)) == [
        ("2026-12-01T22:00:00+00:00", "running"),
        ("2026-12-02T00:00:00+00:00", "stopped"),  # the holiday's midnight
        # Wednesday night's period starts on the holiday: it never starts.
        ("2026-12-03T22:00:00+00:00", "running"),
    ]


def test_always_on_with_holidays_changes_at_holiday_midnights() -> None:
    schedule = Schedule(
        name="on",
        description="",
        timezone="Europe/Berlin",
        periods=(Period(("daily",), 0, 1440),),
        holidays=Holidays(dates=(date(2027, 1, 1),)),
    )
    assert changes(schedule, berlin(2026, 12, 30), berlin(2027, 1, 5)) == [
        ("2027-01-01T00:00:00+01:00", "stopped"),
        ("2027-01-02T00:00:00+01:00", "running"),
    ]
    assert next_transition(schedule, berlin(2027, 1, 3)) is None  # no more holidays ever


# Cron pairs -------------------------------------------------------------------------


def _cron(start: str, stop: str, zone: str = "Europe/Berlin", **holidays: object) -> Schedule:
    return Schedule(
        name="cron",
        description="",
        timezone=zone,
        cron=CronPair(start, stop),
        holidays=Holidays(**holidays) if holidays else None,  # type: ignore[arg-type]
    )


def test_weekly_cron_pair_matches_office_hours(catalog: Catalog) -> None:
    cron = _cron("0 8 * * 1-5", "0 19 * * 1-5")
    office = catalog.resolve("office-hours")
    start = berlin(2026, 11, 1)
    assert transitions(cron, start, start + timedelta(days=40)) == transitions(
        office, start, start + timedelta(days=40)
    )
    assert running_hours_per_week(cron) == 55


def test_monthly_cron_pair_uses_croniter() -> None:
    # Runs 08:00-18:00 on the first seven days of each month.
    cron = _cron("0 8 1-7 * *", "0 18 1-7 * *")
    assert desired_state(cron, berlin(2026, 12, 3, 9)) == R
    assert desired_state(cron, berlin(2026, 12, 8, 9)) == S
    assert next_transition(cron, berlin(2026, 12, 7, 19)) == (berlin(2027, 1, 1, 8), R)
    assert running_hours_per_week(cron) == pytest.approx(16.15, abs=0.1)


def test_cron_tie_goes_to_stop_and_holiday_switches_do_not_fire() -> None:
    tie = _cron("0 8 * * *", "0 8 * * *")
    assert desired_state(tie, berlin(2026, 12, 1, 9)) == S
    assert next_transition(tie, berlin(2026, 12, 1, 9)) is None
    christmas = _cron("0 8 * * 1-5", "0 19 * * 1-5", dates=(date(2026, 12, 25),))
    assert desired_state(christmas, berlin(2026, 12, 25, 9)) == S
    assert next_transition(christmas, berlin(2026, 12, 24, 20)) == (berlin(2026, 12, 28, 8), R)


def test_non_weekly_cron_with_holidays_skips_holiday_switches() -> None:
    cron = _cron("0 8 1-7 * *", "0 18 1-7 * *", dates=(date(2026, 12, 1),))
    assert desired_state(cron, berlin(2026, 12, 1, 9)) == S
    assert next_transition(cron, berlin(2026, 11, 30, 12)) == (berlin(2026, 12, 2, 8), R)


def test_cron_in_dst_gap_fires_after_the_gap() -> None:
    cron = _cron("30 2 * * *", "0 5 * * *")
    assert next_transition(cron, berlin(2026, 3, 28, 12)) == (
        datetime(2026, 3, 29, 3, 0, tzinfo=BERLIN),
        R,
    )


# DST --------------------------------------------------------------------------------


def test_berlin_spring_forward_start_in_gap_happens_after_gap(catalog: Catalog) -> None:
    schedule = catalog.resolve("daily 02:30-05:00 Europe/Berlin")
    got = transitions(schedule, utc(2026, 3, 28, 12), utc(2026, 3, 30))
    assert [(t.astimezone(UTC), s) for t, s in got] == [
        (utc(2026, 3, 29, 1, 0), R),  # 03:00 CEST, the first instant after the gap
        (utc(2026, 3, 29, 3, 0), S),
    ]
    assert desired_state(schedule, utc(2026, 3, 29, 0, 59)) == S  # 01:59 CET


def test_period_entirely_inside_a_gap_does_not_run(catalog: Catalog) -> None:
    schedule = catalog.resolve("daily 02:10-02:40 Europe/Berlin")
    assert transitions(schedule, utc(2026, 3, 28, 12), utc(2026, 3, 29, 12)) == []


def test_berlin_fall_back_boundary_happens_at_first_occurrence(catalog: Catalog) -> None:
    schedule = catalog.resolve("daily 01:00-02:30 Europe/Berlin")
    got = transitions(schedule, utc(2026, 10, 24, 12), utc(2026, 10, 25, 12))
    assert [(t.astimezone(UTC), s) for t, s in got] == [
        (utc(2026, 10, 24, 23, 0), R),  # 01:00 CEST
        (utc(2026, 10, 25, 0, 30), S),  # 02:30 CEST, first pass
    ]
    # The second pass of 02:00-03:00 (CET) does not re-run 02:00-02:30.
    for minute in range(0, 60, 5):
        assert desired_state(schedule, utc(2026, 10, 25, 1, minute)) == S


def test_start_in_repeated_hour_keeps_running_through_second_pass(catalog: Catalog) -> None:
    schedule = catalog.resolve("daily 02:30-05:00 Europe/Berlin")
    assert next_transition(schedule, utc(2026, 10, 25, 0)) == (
        datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN),
        R,
    )
    for minute in range(0, 60, 5):  # 02:00-02:59 CET, second pass
        assert desired_state(schedule, utc(2026, 10, 25, 1, minute)) == R


def test_new_york_transitions(catalog: Catalog) -> None:
    office = catalog.resolve("mon-fri 08:00-19:00 America/New_York")
    # 2026-03-08 (Sunday) spring forward: Monday 08:00 is now 12:00Z instead of 13:00Z.
    assert next_transition(office, utc(2026, 3, 7)) == (datetime(2026, 3, 9, 8, tzinfo=NEW_YORK), R)
    assert next_transition(office, utc(2026, 3, 7))[0].astimezone(UTC) == utc(2026, 3, 9, 12)  # type: ignore[index]
    night = catalog.resolve("daily 01:30-03:00 America/New_York")
    # 2026-11-01 fall back: 01:30 happens twice; the period starts at the first, and the
    # 03:00 EST stop is 2.5 hours later.
    got = transitions(night, utc(2026, 11, 1, 0), utc(2026, 11, 1, 12))
    assert [(t.astimezone(UTC), s) for t, s in got] == [
        (utc(2026, 11, 1, 5, 30), R),
        (utc(2026, 11, 1, 8), S),
    ]


def test_sydney_transitions_southern_hemisphere(catalog: Catalog) -> None:
    schedule = catalog.resolve("daily 02:30-05:00 Australia/Sydney")
    # 2026-04-05 fall back (03:00 AEDT -> 02:00 AEST): first 02:30 is +11:00.
    assert next_transition(schedule, utc(2026, 4, 4, 12)) == (
        datetime(2026, 4, 5, 2, 30, tzinfo=SYDNEY),
        R,
    )
    assert next_transition(schedule, utc(2026, 4, 4, 12))[0].utcoffset() == timedelta(hours=11)  # type: ignore[index]
    # 2026-10-04 spring forward (02:00 AEST -> 03:00 AEDT): start lands on 03:00.
    got = next_transition(schedule, utc(2026, 10, 3, 12))
    assert got is not None
    assert got[0].astimezone(UTC) == utc(2026, 10, 3, 16) and got[1] == R


def test_etc_zones_far_from_utc(catalog: Catalog) -> None:
    west = catalog.resolve("mon-fri 08:00-19:00 Etc/GMT+12")  # UTC-12
    east = catalog.resolve("mon-fri 08:00-19:00 Etc/GMT-13")  # UTC+13
    at = utc(2026, 11, 30, 20)  # Monday 20:00 UTC = Mon 08:00 (-12) = Tue 09:00 (+13)
    assert desired_state(west, at) == R
    assert desired_state(east, at) == R
    assert next_transition(west, at) == (
        datetime(2026, 11, 30, 19, tzinfo=ZoneInfo("Etc/GMT+12")),
        S,
    )
    assert desired_state(east, utc(2026, 12, 4, 20)) == S  # Saturday 09:00 in +13


def test_leap_day(catalog: Catalog) -> None:
    office = catalog.resolve("tue 08:00-19:00 UTC")  # 2028-02-29 is a Tuesday
    assert desired_state(office, utc(2028, 2, 29, 12)) == R
    assert next_transition(office, utc(2028, 2, 28, 12)) == (
        datetime(2028, 2, 29, 8, tzinfo=ZoneInfo("UTC")),
        R,
    )
    leap_holiday = Schedule(
        name="x",
        description="",
        timezone="UTC",
        periods=(Period(("daily",), 0, 1440),),
        holidays=Holidays(dates=(date(2028, 2, 29),)),
    )
    assert changes(leap_holiday, utc(2028, 2, 28), utc(2028, 3, 2)) == [
        ("2028-02-29T00:00:00+00:00", "stopped"),
        ("2028-03-01T00:00:00+00:00", "running"),
    ]
    leap_cron = _cron("0 8 29 2 *", "0 9 29 2 *", zone="UTC")
    assert next_transition(leap_cron, utc(2026, 1, 1)) == (
        datetime(2028, 2, 29, 8, tzinfo=ZoneInfo("UTC")),
        R,
    )


# Errors -----------------------------------------------------------------------------


def test_naive_instants_are_rejected(catalog: Catalog) -> None:
    office = catalog.resolve("office-hours")
    naive = datetime(2026, 11, 30, 9)
    with pytest.raises(ScheduleError, match="no time zone"):
        desired_state(office, naive)
    with pytest.raises(ScheduleError):
        next_transition(office, naive)
    with pytest.raises(ScheduleError):
        transitions(office, naive, utc(2026, 12, 1))


def test_opt_out_schedule_has_no_state(catalog: Catalog) -> None:
    opted = catalog.resolve("off")
    assert opted.opt_out
    with pytest.raises(ScheduleError, match="opts the resource out"):
        desired_state(opted, utc(2026, 11, 30))


def test_transitions_with_empty_range(catalog: Catalog) -> None:
    office = catalog.resolve("office-hours")
    assert transitions(office, utc(2026, 12, 1), utc(2026, 11, 1)) == []
