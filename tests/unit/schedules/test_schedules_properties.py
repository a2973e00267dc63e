"""Property-based tests: no input crashes the parsers; evaluation is self-consistent."""

from __future__ import annotations

import contextlib
import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schedules import (
    Catalog,
    CronPair,
    Event,
    Holidays,
    Moment,
    Period,
    Schedule,
    ScheduleError,
    Sides,
    State,
    desired_state,
    load_catalog,
    next_transition,
    parse_override,
    running_hours_per_week,
    switch_at,
    to_inline,
    to_label,
    transitions,
    wanted_state,
)
from schedules.schema import parse_catalog_text

CATALOG: Catalog = load_catalog(default_tz="Europe/Berlin")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# The one-sided properties share most machinery with the tests above: fewer examples.
ONE_SIDED_SETTINGS = settings(SETTINGS, max_examples=60)
TICK = timedelta(microseconds=1)

# Zones with DST in both hemispheres, half-hour DST, far offsets and a skipped day.
ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Pacific/Apia",
    "America/Santiago",
    "Asia/Kolkata",
    "Etc/GMT+12",
    "Etc/GMT-13",
]
DAY_TOKENS = [
    "mon",
    "tue",
    "wed",
    "thu",
    "fri",
    "sat",
    "sun",
    "mon-fri",
    "fri-mon",
    "daily",
    "weekends",
]
CRONS = [
    "0 8 * * 1-5",
    "0 19 * * 1-5",
    "30 2 * * *",
    "0 3 * * 0",
    "*/20 * * * 6",
    "0 8 1-7 * *",
    "0 18 1-7 * *",
    "15 1 * 3,10 0",
    "0 0 29 2 *",
    "0 12 L * *",
]
FRAGMENTS = [
    "mon",
    "fri",
    "-",
    ",",
    " ",
    "_",
    ":",
    "08:00",
    "19:00",
    "24:00",
    "0800-1900",
    "2400",
    "mon-fri",
    "Europe/Berlin",
    "europe-berlin",
    "etc-gmt-plus12",
    "--",
    "off",
    "on",
    "=",
    "(",
    ")",
    "[",
    "]",
    "M-F",
    "19",
    ";",
    "tz=pt",
    "u28",
    "u3d",
    "U",
    "utc",
    "daily",
    "office-hours",
    "25:99",
    "\x00",
    "é",
    "-plus",
    "opt-out",
    "running-until-",
    "20261129t2000z",
    "stop-only",
    "start-only",
    "stop-only ",
    "stop-only_",
    "1900",
    "07:00",
]


@st.composite
def period_schedules(draw: st.DrawFn) -> Schedule:
    periods = []
    for _ in range(draw(st.integers(0, 3))):
        days = tuple(draw(st.lists(st.sampled_from(DAY_TOKENS), min_size=1, max_size=2)))
        start = draw(st.integers(0, 1439))
        stop = draw(st.integers(1, 1440).filter(start.__ne__))
        periods.append(Period(days, start, stop))
    return Schedule(
        "p",
        "",
        draw(st.sampled_from(ZONES)),
        periods=tuple(periods),
        holidays=draw(holiday_specs()),
    )


@st.composite
def event_schedules(draw: st.DrawFn) -> Schedule:
    events = draw(
        st.lists(
            st.builds(
                Event,
                st.integers(0, 6),
                st.integers(0, 23).map(lambda h: h * 60),
                st.sampled_from(State),
            ),
            min_size=1,
            max_size=6,
        )
    )
    return Schedule(
        "e", "", draw(st.sampled_from(ZONES)), events=tuple(events), holidays=draw(holiday_specs())
    )


@st.composite
def cron_schedules(draw: st.DrawFn) -> Schedule:
    pair = CronPair(draw(st.sampled_from(CRONS)), draw(st.sampled_from(CRONS)))
    return Schedule(
        "c", "", draw(st.sampled_from(ZONES)), cron=pair, holidays=draw(holiday_specs())
    )


def holiday_specs() -> st.SearchStrategy[Holidays | None]:
    dates = st.lists(st.dates(date(2019, 1, 1), date(2031, 12, 31)), max_size=20).map(tuple)
    return st.one_of(
        st.none(),
        st.builds(Holidays, dates=dates),
        st.just(Holidays(country="US")),
    )


@st.composite
def one_sided_schedules(draw: st.DrawFn) -> Schedule:
    sides = draw(st.sampled_from([Sides.STOP_ONLY, Sides.START_ONLY]))
    catch_up = draw(
        st.one_of(st.none(), st.integers(1, 168 * 60).map(lambda m: timedelta(minutes=m)))
    )
    holidays = draw(holiday_specs())
    zone = draw(st.sampled_from(ZONES))
    if draw(st.booleans()):
        expr = draw(st.sampled_from(CRONS))
        pair = CronPair(None, expr) if sides is Sides.STOP_ONLY else CronPair(expr, None)
        return Schedule("c", "", zone, cron=pair, holidays=holidays, sides=sides, catch_up=catch_up)
    moments = draw(
        st.lists(
            st.builds(
                Moment,
                st.lists(st.sampled_from(DAY_TOKENS), min_size=1, max_size=2).map(tuple),
                st.integers(0, 1439),
            ),
            min_size=1,
            max_size=3,
        )
    )
    return Schedule(
        "m", "", zone, moments=tuple(moments), holidays=holidays, sides=sides, catch_up=catch_up
    )


SCHEDULES = st.one_of(period_schedules(), event_schedules(), cron_schedules())
ONE_SIDED = one_sided_schedules()
INSTANTS = st.datetimes(datetime(2020, 1, 1), datetime(2030, 12, 31), timezones=st.just(UTC))
TEXT = st.one_of(
    st.text(max_size=80), st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join)
)


@SETTINGS
@given(TEXT)
def test_any_text_parses_or_raises_schedule_error(value: str) -> None:
    try:
        schedule = CATALOG.resolve(value)
    except ScheduleError as err:
        assert str(err)
        return
    if schedule.opt_out:
        return
    at = datetime(2026, 11, 30, 9, tzinfo=UTC)
    if schedule.sides is not Sides.BOTH:
        assert wanted_state(schedule, at) in (schedule.sides.state, None)
        return
    assert desired_state(schedule, at) in (State.RUNNING, State.STOPPED)
    assert wanted_state(schedule, at) == desired_state(schedule, at)
    assert 0 <= running_hours_per_week(schedule) <= 168


@SETTINGS
@given(TEXT)
def test_any_override_parses_or_raises_schedule_error(value: str) -> None:
    with contextlib.suppress(ScheduleError):
        parse_override(value)


@SETTINGS
@given(
    st.one_of(
        st.text(max_size=200), TEXT.map(lambda t: f"schedules:\n  - name: x\n    periods: [{t}]\n")
    )
)
def test_any_catalog_text_reports_problems_instead_of_crashing(text: str) -> None:
    schedules, problems = parse_catalog_text(text, "x.yaml", "UTC")
    assert all(p.startswith("x.yaml") for p in problems)
    assert schedules or problems


@SETTINGS
@given(SCHEDULES, INSTANTS)
def test_next_transition_moves_forward_and_agrees_with_desired_state(
    schedule: Schedule, at: datetime
) -> None:
    before = desired_state(schedule, at)
    change = next_transition(schedule, at)
    if change is None:
        for days in (1, 3, 8):
            assert desired_state(schedule, at + timedelta(days=days)) == before
        return
    when, state = change
    assert when > at and when.tzinfo is not None
    assert state != before
    assert desired_state(schedule, when) == state
    # In UTC: arithmetic on a local-zone datetime is wall-clock arithmetic, and a minute
    # before a transition that a DST gap moved (Pacific/Chatham's 02:45 -> 03:45) would
    # land after it.
    instant = when.astimezone(UTC)
    assert desired_state(schedule, instant - TICK) == before
    assert desired_state(schedule, at + (instant - at) / 2) == before


@SETTINGS
@given(SCHEDULES, INSTANTS, st.integers(1, 15))
def test_transitions_agree_with_next_transition(
    schedule: Schedule, start: datetime, days: int
) -> None:
    end = start + timedelta(days=days)
    expected = []
    at = start
    while (change := next_transition(schedule, at)) is not None and change[0] <= end:
        expected.append(change)
        at = change[0]
    got = transitions(schedule, start, end)
    assert got == expected
    assert all(a[1] != b[1] for a, b in itertools.pairwise(got))


@SETTINGS
@given(SCHEDULES, INSTANTS)
def test_desired_state_does_not_depend_on_the_callers_zone(
    schedule: Schedule, at: datetime
) -> None:
    from zoneinfo import ZoneInfo

    elsewhere = at.astimezone(ZoneInfo("Asia/Kathmandu"))
    assert desired_state(schedule, elsewhere) == desired_state(schedule, at)


@ONE_SIDED_SETTINGS
@given(ONE_SIDED, INSTANTS)
def test_one_sided_next_transition_moves_forward_to_a_switch(
    schedule: Schedule, at: datetime
) -> None:
    change = next_transition(schedule, at)
    if change is None:
        return
    when, state = change
    assert when > at and when.tzinfo is not None
    assert state == schedule.sides.state
    switch = switch_at(schedule, when)
    assert switch is not None and switch.at == when and switch.state == state
    assert switch.at < switch.until
    # No switch in between: whatever holds halfway began at or before ``at``.
    halfway = switch_at(schedule, at + (when - at) / 2)
    assert halfway is None or halfway.at <= at


@ONE_SIDED_SETTINGS
@given(ONE_SIDED, INSTANTS)
def test_one_sided_switch_holds_only_inside_its_window(schedule: Schedule, at: datetime) -> None:
    switch = switch_at(schedule, at)
    assert wanted_state(schedule, at) == (switch.state if switch else None)
    if switch is None:
        return
    assert switch.at <= at < switch.until
    # In UTC: the difference of two times in one zone is wall-clock time, not elapsed time.
    elapsed = switch.until.astimezone(UTC) - switch.at.astimezone(UTC)
    assert elapsed <= timedelta(hours=168)
    if schedule.catch_up is not None:
        assert elapsed == schedule.catch_up
    else:  # the rest of the switch's local day
        zone = ZoneInfo(schedule.timezone)
        day = switch.at.astimezone(zone).date()
        assert (switch.until - TICK).astimezone(zone).date() == day
        assert switch.until.astimezone(zone).date() > day
    assert transitions(schedule, switch.at - TICK, at)[0] == (switch.at, switch.state)


@ONE_SIDED_SETTINGS
@given(ONE_SIDED, INSTANTS, st.integers(1, 15))
def test_one_sided_transitions_agree_with_next_transition(
    schedule: Schedule, start: datetime, days: int
) -> None:
    end = start + timedelta(days=days)
    expected = []
    at = start
    while (change := next_transition(schedule, at)) is not None and change[0] <= end:
        expected.append(change)
        at = change[0]
    assert transitions(schedule, start, end) == expected


@ONE_SIDED_SETTINGS
@given(ONE_SIDED)
def test_one_sided_inline_and_label_round_trip(schedule: Schedule) -> None:
    for write in (to_inline, to_label):
        try:
            text = write(schedule)
        except ScheduleError:
            assert schedule.cron or schedule.holidays or schedule.catch_up or write is to_label
            continue
        again = CATALOG.resolve(text)
        assert (again.sides, again.moments, again.timezone) == (
            schedule.sides,
            schedule.moments,
            schedule.timezone,
        )


def test_a_stop_in_a_dst_gap_happens_when_the_gap_ends() -> None:
    """Found by the property above: Pacific/Chatham skips 02:45-03:45 on 24 Sep 2028, and
    an overnight period ending at 02:45 stops at 03:45 (14:00 UTC), running until then."""
    from schedules.model import Period

    schedule = Schedule(
        name="p",
        description="",
        timezone="Pacific/Chatham",
        periods=(Period(days=("fri-mon",), start=226, stop=165),),
    )
    at = datetime(2028, 9, 22, 15, 1, tzinfo=UTC)
    change = next_transition(schedule, at)
    assert change is not None
    when, state = change
    assert when.astimezone(UTC) == datetime(2028, 9, 23, 14, 0, tzinfo=UTC)
    assert state is State.STOPPED
    assert desired_state(schedule, when.astimezone(UTC) - TICK) is State.RUNNING
