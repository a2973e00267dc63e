"""Cloud Custodian's own tag values, read as Custodian reads them.

The cases come from Cloud Custodian's ``tests/test_offhours.py`` (``ScheduleParserTest.table``,
``test_offhours_get_value``, ``test_on_tag``, ``test_empty_tag``) and its alias table
``Time.TZ_ALIASES`` in ``c7n/filters/offhours.py`` (github.com/cloud-custodian/cloud-custodian,
commit df800e9, 2026-08-22). Custodian's parser returns the (days, hour) switches per side
with ``tz`` (default ``et`` there; here the catalog's default zone, in the role of the
policy's ``default_tz``); the same switches are checked here as ``Event``s.
"""

from __future__ import annotations

import pytest

from schedules import Catalog, ScheduleError
from schedules.custodian import TZ_ALIASES, parse_custodian
from schedules.model import Event, Sides, State

S, R = State.STOPPED, State.RUNNING
WEEKDAYS = [0, 1, 2, 3, 4]

# Custodian's table: value -> {side: [(days, hour), ...]}, tz (None: the default).
VALID = [
    ("off=(m-f,10);on=(m-f,7);tz=et", {"off": [(WEEKDAYS, 10)], "on": [(WEEKDAYS, 7)]}, "et"),
    (
        "off=[(m-f,9)];on=(m-s,10);tz=pt",
        {"off": [(WEEKDAYS, 9)], "on": [([0, 1, 2, 3, 4, 5], 10)]},
        "pt",
    ),
    (
        "off=[(m-f,23)];on=(m-s,10);tz=pt",
        {"off": [(WEEKDAYS, 23)], "on": [([0, 1, 2, 3, 4, 5], 10)]},
        "pt",
    ),
    ("off=(m-f,19);on=(m-f,7);tz=pst", {"off": [(WEEKDAYS, 19)], "on": [(WEEKDAYS, 7)]}, "pst"),
    ("on=[(s-m,10)];off=(s-m,19)", {"on": [([5, 6, 0], 10)], "off": [([5, 6, 0], 19)]}, None),
    (
        "on=[(m,9),(t,10),(w,7)];off=(m-u,19)",
        {"on": [([0], 9), ([1], 10), ([2], 7)], "off": [(list(range(7)), 19)]},
        None,
    ),
    ("off=[m-f,20];on=[m-f,5];tz=est", {"on": [(WEEKDAYS, 5)], "off": [(WEEKDAYS, 20)]}, "est"),
]
INVALID = [
    "off=(1-2,12);on=(m-f,10);tz=est",
    "off=(m-f,a);on=(m-f,10);tz=est",
    "off=(m-f,99);on=(m-f,7);tz=pst",
    "off=(x-f,10);on=(m-f,10);tz=est",
    "off=(m-f);on=(m-f,10);tz=est",
    "off=(m-t-f,12);on=(m-f,10);tz=est",
    "off=(m-f,5);zebra=blue,on=(t-w,5)",
    "off=(m-f,5);zebra=blue;on=(t-w,5)",
    "off=(m-f,5);zebrablue,on=(t-w,5)",
    "bar;off=(m-f,5);zebrablue,on=(t-w,5)",
]


def events(sides: dict[str, list[tuple[list[int], int]]]) -> set[Event]:
    return {
        Event(day, hour * 60, S if side == "off" else R)
        for side, entries in sides.items()
        for days, hour in entries
        for day in days
    }


@pytest.mark.parametrize(("value", "sides", "tz"), VALID, ids=[v for v, _, _ in VALID])
def test_custodians_valid_table(value: str, sides: dict, tz: str | None) -> None:
    schedule = Catalog({}, default_tz="America/New_York").resolve(value)
    expected = dict(sides)
    expected.setdefault("off", [(WEEKDAYS, 19)])  # a missing side takes the default
    expected.setdefault("on", [(WEEKDAYS, 7)])
    assert set(schedule.events) == events(expected)
    assert schedule.timezone == (TZ_ALIASES[tz] if tz else "America/New_York")


@pytest.mark.parametrize("value", INVALID)
def test_custodians_invalid_table(value: str) -> None:
    with pytest.raises(ScheduleError):
        parse_custodian(value, "America/New_York")


def test_the_alias_table_is_custodians_own() -> None:
    assert TZ_ALIASES["it"] == "Asia/Kolkata"  # not Rome: Custodian's own choice
    assert TZ_ALIASES["gt"] == "Etc/GMT"
    assert len(TZ_ALIASES) == 27 and "cest" not in TZ_ALIASES and "nzdt" not in TZ_ALIASES


@pytest.mark.parametrize(
    ("value", "zone"),
    [
        ("Offhours tz=PT", "America/Los_Angeles"),  # test_offhours_get_value: words ignored
        ('"Offhours tz=ET"', "America/New_York"),  # quotes copied from the docs
        ("on", "UTC"),  # test_on_tag: the defaults
        ("tz=est", "America/New_York"),
        ("off=(m-f,1);", "UTC"),  # a trailing ';' is ignored
        ("tz=america/los_angeles", "America/Los_Angeles"),  # IANA names in any case
    ],
)
def test_values_custodian_accepts(value: str, zone: str) -> None:
    schedule = Catalog({}, default_tz="UTC").resolve(value)
    assert schedule.timezone == zone and not schedule.opt_out
    assert schedule.events


def test_a_disabled_side_never_acts() -> None:
    catalog = Catalog({}, default_tz="UTC")
    start_only = catalog.resolve("off=disabled;on=(m-f,7)")
    assert start_only.sides is Sides.START_ONLY and len(start_only.moments) == 5
    stop_only = catalog.resolve("on=disabled;off=[(m-f,19),(s,13)]")
    assert stop_only.sides is Sides.STOP_ONLY and len(stop_only.moments) == 6
    assert catalog.resolve("off=disabled;on=disabled").opt_out


def test_kube_downscalers_uptime_words() -> None:
    """kube-downscaler's ``downscaler/uptime: always | never`` (its README,
    hjacobs/kube-downscaler): always running, never running."""
    from datetime import UTC, datetime

    from schedules import load_catalog, wanted_state

    catalog = load_catalog()
    monday_noon = datetime(2026, 11, 23, 12, tzinfo=UTC)
    assert wanted_state(catalog.resolve("always"), monday_noon) == R
    assert wanted_state(catalog.resolve("Never"), monday_noon) == S


@pytest.mark.parametrize(
    ("escaped", "plain"),
    [
        # Custodian's documented escapes ("ElasticBeanstalk, EFS and Other Services").
        ("offu3du28M-Fu2c18u29u3btzu3dAustraliau2fSydney", "off=(M-F,18);tz=Australia/Sydney"),
        ("off=u5bu28M-Fu2c18u29u2cu28Su2c13u29u5d", "off=[(M-F,18),(S,13)]"),
    ],
)
def test_custodians_escaped_examples(escaped: str, plain: str) -> None:
    catalog = Catalog({}, default_tz="UTC")
    assert catalog.resolve(escaped).events == catalog.resolve(plain).events
    assert catalog.resolve(escaped).timezone == catalog.resolve(plain).timezone


def test_kube_downscalers_absolute_ranges() -> None:
    """kube-downscaler's absolute uptime ranges (its README's example form
    ``2019-04-30T08:30:00+02:00-2019-04-30T16:00:00+02:00``): running inside, stopped
    outside, the next change at each end."""
    from datetime import UTC, datetime

    from schedules import desired_state, load_catalog, next_transition

    value = (
        "2026-11-26T14:00:00+00:00-2026-11-26T16:00:00+00:00,"
        "2026-11-27T09:00:00+01:00-2026-11-27T10:00:00+01:00"
    )
    schedule = load_catalog().resolve(value)
    assert desired_state(schedule, datetime(2026, 11, 26, 13, 59, tzinfo=UTC)) == S
    assert desired_state(schedule, datetime(2026, 11, 26, 14, 0, tzinfo=UTC)) == R
    assert desired_state(schedule, datetime(2026, 11, 26, 16, 0, tzinfo=UTC)) == S
    assert desired_state(schedule, datetime(2026, 11, 27, 8, 30, tzinfo=UTC)) == R  # 09:30 +01:00
    at, state = next_transition(schedule, datetime(2026, 11, 26, 15, tzinfo=UTC)) or (None, None)
    assert at == datetime(2026, 11, 26, 16, tzinfo=UTC) and state == S
    with pytest.raises(ScheduleError, match="ends before it starts"):
        load_catalog().resolve("2026-11-26T16:00:00+00:00-2026-11-26T14:00:00+00:00")
