"""Stop-only and start-only schedules: grammars, catch-up windows, DST, holidays, catalog."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from schedules import (
    Catalog,
    Holidays,
    Moment,
    Schedule,
    ScheduleError,
    Sides,
    State,
    desired_state,
    load_catalog,
    next_transition,
    running_hours_per_week,
    switch_at,
    to_inline,
    to_label,
    transitions,
    wanted_state,
)
from schedules.schema import parse_catalog_text

BERLIN = ZoneInfo("Europe/Berlin")
S, R = State.STOPPED, State.RUNNING


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(default_tz="Europe/Berlin")


def berlin(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


# ---- grammars ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "sides", "moments", "zone"),
    [
        ("stop-only 19:00 Europe/Berlin", Sides.STOP_ONLY, [(("daily",), 1140)], "Europe/Berlin"),
        ("stop-only_1900_europe-berlin", Sides.STOP_ONLY, [(("daily",), 1140)], "Europe/Berlin"),
        ("STOP-ONLY mon-fri 19:00", Sides.STOP_ONLY, [(("mon-fri",), 1140)], "Europe/Berlin"),
        (
            "start-only mon-fri 07:00, sat 10:00 UTC",
            Sides.START_ONLY,
            [(("mon-fri",), 420), (("sat",), 600)],
            "UTC",
        ),
        (
            "start-only_mon-fri_0700_sat_1000_utc",
            Sides.START_ONLY,
            [(("mon-fri",), 420), (("sat",), 600)],
            "UTC",
        ),
        (
            "stop-only mon,wed 19:00 21:30 America/New_York",
            Sides.STOP_ONLY,
            [(("mon", "wed"), 1140), (("mon", "wed"), 1290)],
            "America/New_York",
        ),
        (
            "stop-only_mon_wed_1900_2130_america-new_york",
            Sides.STOP_ONLY,
            [(("mon", "wed"), 1140), (("mon", "wed"), 1290)],
            "America/New_York",
        ),
    ],
)
def test_inline_and_label_forms(
    catalog: Catalog,
    value: str,
    sides: Sides,
    moments: list[tuple[tuple[str, ...], int]],
    zone: str,
) -> None:
    schedule = catalog.resolve(value)
    assert schedule.sides is sides
    assert schedule.moments == tuple(Moment(days, minute) for days, minute in moments)
    assert schedule.timezone == zone


@pytest.mark.parametrize(
    "value",
    [
        "stop-only 19:00 Europe/Berlin",
        "stop-only_1900_europe-berlin",
        "start-only mon-fri 07:00, sat 10:00 UTC",
        "stop-only fri-mon 23:59 America/Port-au-Prince",
        "start-only_weekends_0000_etc-gmt-plus12",
        "stop-only mon,wed,fri 18:00 19:30 Australia/Lord_Howe",
    ],
)
def test_inline_and_label_round_trip(catalog: Catalog, value: str) -> None:
    schedule = catalog.resolve(value)
    for written in (to_inline(schedule), to_label(schedule)):
        again = catalog.resolve(written)
        assert (again.sides, again.moments, again.timezone) == (
            schedule.sides,
            schedule.moments,
            schedule.timezone,
        )
    assert to_label(catalog.resolve(to_label(schedule))) == to_label(schedule)
    assert to_inline(catalog.resolve(to_inline(schedule))) == to_inline(schedule)


def test_canonical_forms(catalog: Catalog) -> None:
    schedule = catalog.resolve("stop-only_1900_europe-berlin")
    assert to_inline(schedule) == "stop-only daily 19:00 Europe/Berlin"
    assert to_label(schedule) == "stop-only_daily_1900_europe-berlin"
    assert schedule.description == "stop-only: stop Daily 19:00, never starts (Europe/Berlin)"


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("stop-only", "without a time"),
        ("stop-only mon", "needs a time"),
        ("stop-only 25:00", "'25:00' is not a time"),
        ("stop-only 19:00-20:00", "'19:00-20:00' is not a time HH:MM"),
        ("stop-only 19:00 UTC Europe/Berlin", "at most one zone"),
        ("stop-only 19:00 UTC, sat 10:00 Asia/Tokyo", "several time zones"),
        ("stop-only_2400", "'2400' is not a time"),
        ("stop-only_1900_mon", "ends without a time"),
        ("stop-only_mon-fry_1900", "'mon-fry' is neither a day nor a time"),
        ("stop-only_1900_europe-berln", "not a known label-safe time zone"),
        ("start-only 07:00 Mars/Olympus", "unknown time zone"),
    ],
)
def test_bad_values_name_the_token_and_the_forms(catalog: Catalog, value: str, needle: str) -> None:
    with pytest.raises(ScheduleError) as err:
        catalog.resolve(value)
    assert needle in str(err.value)


def test_label_is_at_most_63_characters(catalog: Catalog) -> None:
    schedule = catalog.resolve(
        "stop-only mon 19:00, tue 19:00, wed 19:00, thu 19:00 America/Argentina/Buenos_Aires"
    )
    with pytest.raises(ScheduleError, match="at most 63"):
        to_label(schedule)


# ---- the catalog -------------------------------------------------------------------------


CATALOG_TEXT = """
schedules:
  - name: evening-stop
    timezone: Europe/Berlin
    periods:
      - {days: mon-fri, stop: "19:00"}
      - {days: sat, stop: 14:00}
  - name: cron-stop
    cron:
      stop: "0 19 * * *"
  - name: runners
    catch_up: 2h
    cron:
      start: "0 7 * * 1-5"
  - name: morning-start
    catch_up: 1h30m
    periods:
      - {days: weekdays, start: "07:00"}
"""


def test_catalog_periods_and_cron_with_one_side() -> None:
    found, problems = parse_catalog_text(CATALOG_TEXT, "team.yaml", "UTC")
    assert problems == []
    by_name = {s.name: s for s in found}
    evening = by_name["evening-stop"]
    assert evening.sides is Sides.STOP_ONLY and evening.periods == ()
    assert evening.moments == (Moment(("mon-fri",), 1140), Moment(("sat",), 840))
    assert evening.catch_up is None
    cron = by_name["cron-stop"]
    assert cron.sides is Sides.STOP_ONLY
    assert cron.cron is not None and (cron.cron.start, cron.cron.stop) == (None, "0 19 * * *")
    runners = by_name["runners"]
    assert runners.sides is Sides.START_ONLY and runners.catch_up == timedelta(hours=2)
    assert by_name["morning-start"].catch_up == timedelta(hours=1, minutes=30)
    # A cron stop fires every evening; it catches up until midnight.
    switch = switch_at(cron, datetime(2026, 11, 24, 23, 30, tzinfo=UTC))
    assert switch is not None and switch.at == datetime(2026, 11, 24, 19, tzinfo=UTC)


@pytest.mark.parametrize(
    ("doc", "needle"),
    [
        (
            'periods: [{days: mon, stop: "19:00"}, {days: tue, start: "08:00", stop: "19:00"}]',
            "field 'periods': mixes entries",
        ),
        ('periods: [{days: mon, start: "08:00"}, {days: tue, stop: "19:00"}]', "mixes entries"),
        ("cron: {}", "field 'cron': needs start, stop or both"),
        ('cron: {stop: "every evening"}', "field 'cron.stop': 'every evening' is not a cron"),
        ('catch_up: 4h\n    periods: [{days: mon, start: "08:00", stop: "19:00"}]', "only"),
        ('catch_up: soon\n    periods: [{days: mon, stop: "19:00"}]', "'soon' is not a duration"),
        ('catch_up: 200h\n    periods: [{days: mon, stop: "19:00"}]', "from 1m to 168h"),
        ('catch_up: 0m\n    periods: [{days: mon, stop: "19:00"}]', "from 1m to 168h"),
        ('periods: [{days: mon, stop: "24:00"}]', "'24:00' is not a time of day"),
        ('periods: [{days: mon-fry, stop: "19:00"}]', "'mon-fry' is not a day"),
    ],
)
def test_catalog_problems_name_the_field(doc: str, needle: str) -> None:
    text = f"schedules:\n  - name: x\n    {doc}\n"
    found, problems = parse_catalog_text(text, "x.yaml", "UTC")
    assert found == []
    assert any(needle in p for p in problems), problems
    assert all(p.startswith("x.yaml: schedule 'x': field ") for p in problems)


def test_one_sided_schedules_have_no_desired_state_or_weekly_hours(catalog: Catalog) -> None:
    schedule = catalog.resolve("stop-only 19:00")
    with pytest.raises(ScheduleError, match="stop-only"):
        desired_state(schedule, berlin(11, 23, 20))
    with pytest.raises(ScheduleError, match="stop-only"):
        running_hours_per_week(schedule)
    assert to_inline(catalog.resolve(to_inline(schedule))) == "stop-only daily 19:00 Europe/Berlin"


# ---- evaluation at fixed instants ---------------------------------------------------------


def test_stop_only_across_a_week(catalog: Catalog) -> None:
    """mon-fri 19:00: stopped from each stop to midnight, no opinion otherwise, nothing at
    the weekend."""
    schedule = catalog.resolve("stop-only mon-fri 19:00 Europe/Berlin")
    monday = berlin(11, 23)
    expected = {
        monday + timedelta(hours=18, minutes=59): None,
        monday + timedelta(hours=19): S,
        monday + timedelta(hours=21): S,
        monday + timedelta(hours=23, minutes=59): S,
        monday + timedelta(days=1): None,
        monday + timedelta(days=1, hours=8): None,
        monday + timedelta(days=4, hours=19, minutes=15): S,  # Friday
        monday + timedelta(days=5, hours=19, minutes=15): None,  # Saturday
        monday + timedelta(days=6, hours=23): None,  # Sunday
    }
    assert {at: wanted_state(schedule, at) for at in expected} == expected
    switch = switch_at(schedule, monday + timedelta(hours=21))
    assert switch is not None
    assert (switch.at, switch.state, switch.until) == (
        monday + timedelta(hours=19),
        S,
        monday + timedelta(days=1),
    )
    # next names the next stop; transitions lists every stop of the span.
    assert next_transition(schedule, monday + timedelta(hours=21)) == (
        monday + timedelta(days=1, hours=19),
        S,
    )
    week = transitions(schedule, monday, monday + timedelta(days=7))
    assert [at.weekday() for at, _ in week] == [0, 1, 2, 3, 4]
    assert {state for _, state in week} == {S}


def test_the_callers_zone_does_not_matter(catalog: Catalog) -> None:
    schedule = catalog.resolve("stop-only 19:00 Europe/Berlin")
    at = datetime(2026, 11, 23, 22, 30, tzinfo=UTC)  # 23:30 in Berlin
    assert wanted_state(schedule, at) is S
    assert wanted_state(schedule, at.astimezone(ZoneInfo("Asia/Kathmandu"))) is S
    assert wanted_state(schedule, at + timedelta(minutes=30)) is None


def test_catch_up_window_of_a_few_hours() -> None:
    found, _ = parse_catalog_text(
        'schedules:\n  - {name: x, timezone: UTC, catch_up: 3h, periods: [{stop: "22:00"}]}\n',
        "x.yaml",
        "UTC",
    )
    (schedule,) = found
    ten = datetime(2026, 11, 23, 22, tzinfo=UTC)
    assert wanted_state(schedule, ten + timedelta(hours=2, minutes=59)) is S  # past midnight
    assert wanted_state(schedule, ten + timedelta(hours=3)) is None


def test_a_stop_at_midnight_catches_up_all_day(catalog: Catalog) -> None:
    schedule = catalog.resolve("stop-only 00:00 UTC")
    assert wanted_state(schedule, datetime(2026, 11, 23, 23, 59, tzinfo=UTC)) is S


def test_start_only_wants_running_after_each_start(catalog: Catalog) -> None:
    schedule = catalog.resolve("start-only mon-fri 07:00 Europe/Berlin")
    assert wanted_state(schedule, berlin(11, 23, 6, 59)) is None
    assert wanted_state(schedule, berlin(11, 23, 7)) is R
    assert wanted_state(schedule, berlin(11, 23, 23)) is R
    assert wanted_state(schedule, berlin(11, 28, 7)) is None  # Saturday
    assert next_transition(schedule, berlin(11, 27, 8)) == (berlin(11, 30, 7), R)


# ---- DST -----------------------------------------------------------------------------------


def test_stop_only_on_spring_forward_and_fall_back(catalog: Catalog) -> None:
    schedule = catalog.resolve("stop-only 02:30 Europe/Berlin")
    # 2026-03-29: 02:00-03:00 does not exist; the stop happens at 03:00 CEST.
    gap = next_transition(schedule, berlin(3, 29, 1))
    assert gap == (datetime(2026, 3, 29, 1, tzinfo=UTC).astimezone(BERLIN), S)
    assert wanted_state(schedule, datetime(2026, 3, 29, 0, 59, tzinfo=UTC)) is None
    assert wanted_state(schedule, datetime(2026, 3, 29, 1, tzinfo=UTC)) is S
    # The window still ends at local midnight (a 23-hour day): 22:00 UTC.
    assert wanted_state(schedule, datetime(2026, 3, 29, 21, 59, tzinfo=UTC)) is S
    assert wanted_state(schedule, datetime(2026, 3, 29, 22, tzinfo=UTC)) is None
    # 2026-10-25: 02:00-03:00 happens twice; the stop happens once, at 02:30 CEST (00:30 UTC).
    fall = transitions(
        schedule, datetime(2026, 10, 24, 23, tzinfo=UTC), datetime(2026, 10, 25, 3, tzinfo=UTC)
    )
    assert [at.astimezone(UTC) for at, _ in fall] == [datetime(2026, 10, 25, 0, 30, tzinfo=UTC)]
    second_pass = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET
    switch = switch_at(schedule, second_pass)
    assert switch is not None and switch.at.astimezone(UTC) == fall[0][0].astimezone(UTC)
    # A 25-hour day: the window ends at the next midnight, 23:00 UTC.
    assert wanted_state(schedule, datetime(2026, 10, 25, 22, 59, tzinfo=UTC)) is S
    assert wanted_state(schedule, datetime(2026, 10, 25, 23, tzinfo=UTC)) is None


def test_start_only_at_a_dst_change(catalog: Catalog) -> None:
    schedule = catalog.resolve("start-only sun 02:15 02:45 America/New_York")
    # 2026-03-08: 02:00-03:00 is skipped; both starts land on 03:00 EDT, once.
    spring = transitions(
        schedule, datetime(2026, 3, 8, 5, tzinfo=UTC), datetime(2026, 3, 8, 12, tzinfo=UTC)
    )
    assert spring == [
        (datetime(2026, 3, 8, 7, tzinfo=UTC).astimezone(ZoneInfo("America/New_York")), R)
    ]
    # 2026-11-01: 01:00-02:00 repeats, 02:15 happens once (EST).
    fall = transitions(
        schedule, datetime(2026, 11, 1, 4, tzinfo=UTC), datetime(2026, 11, 1, 12, tzinfo=UTC)
    )
    assert [at.astimezone(UTC) for at, _ in fall] == [
        datetime(2026, 11, 1, 7, 15, tzinfo=UTC),
        datetime(2026, 11, 1, 7, 45, tzinfo=UTC),
    ]
    assert wanted_state(schedule, datetime(2026, 11, 1, 7, 14, tzinfo=UTC)) is None
    assert wanted_state(schedule, datetime(2026, 11, 1, 7, 15, tzinfo=UTC)) is R


def test_holidays_skip_switches() -> None:
    schedule = Schedule(
        "x",
        "",
        "Europe/Berlin",
        sides=Sides.STOP_ONLY,
        moments=(Moment(("daily",), 1140),),
        holidays=Holidays(dates=(datetime(2026, 12, 24).date(),)),
    )
    assert wanted_state(schedule, berlin(12, 24, 20)) is None
    assert wanted_state(schedule, berlin(12, 23, 20)) is S
    assert next_transition(schedule, berlin(12, 23, 20)) == (berlin(12, 25, 19), S)
