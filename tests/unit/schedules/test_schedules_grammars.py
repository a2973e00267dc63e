"""The tag grammars: inline, label-safe (with the zone round trip), Cloud Custodian."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

import pytest

from schedules import (
    Catalog,
    Period,
    ScheduleError,
    Source,
    State,
    desired_state,
    load_catalog,
    running_hours_per_week,
    to_inline,
    to_label,
)
from schedules.zones import decode_zone, encode_zone

R, S = State.RUNNING, State.STOPPED


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(default_tz="Europe/London")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# Inline -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "periods", "zone"),
    [
        ("mon-fri 08:00-19:00 Europe/Berlin", [(("mon-fri",), 480, 1140)], "Europe/Berlin"),
        ("MON-FRI 8:00-19:00 europe/berlin", [(("mon-fri",), 480, 1140)], "Europe/Berlin"),
        ("mon-fri 08:00 - 19:00", [(("mon-fri",), 480, 1140)], "Europe/London"),
        (
            "mon-fri 08:00-12:00 UTC, mon-fri 13:00-18:00 UTC",
            [(("mon-fri",), 480, 720), (("mon-fri",), 780, 1080)],
            "UTC",
        ),
        (
            "mon-fri 08:00-12:00 13:00-18:00",
            [(("mon-fri",), 480, 720), (("mon-fri",), 780, 1080)],
            "Europe/London",
        ),
        ("mon,wed 09:00-17:00", [(("mon", "wed"), 540, 1020)], "Europe/London"),
        ("monday,wednesday 09:00-17:00", [(("mon", "wed"), 540, 1020)], "Europe/London"),
        ("fri-mon 22:00-06:00 UTC", [(("fri-mon",), 1320, 360)], "UTC"),
        ("weekends 10:00-24:00", [(("weekends",), 600, 1440)], "Europe/London"),
        (
            "sat 10:00-14:00, sun 10:00-14:00 Asia/Tokyo",
            [(("sat",), 600, 840), (("sun",), 600, 840)],
            "Asia/Tokyo",
        ),
    ],
)
def test_inline_forms(
    catalog: Catalog, spec: str, periods: list[tuple[tuple[str, ...], int, int]], zone: str
) -> None:
    schedule = catalog.resolve(spec)
    assert schedule.source == Source.INLINE
    assert schedule.periods == tuple(Period(*p) for p in periods)
    assert schedule.timezone == zone


@pytest.mark.parametrize(
    ("spec", "token"),
    [
        ("mon-fry 08:00-19:00", "mon-fry"),
        ("mon-fri 08:00-25:00", "25:00"),
        ("mon-fri 24:00-08:00", "24:00"),
        ("mon-fri 08:00-19:00 Mars/Olympus", "Mars/Olympus"),
        ("mon-fri 08:00-08:00", "start equals stop"),
        ("mon-fri", "mon-fri"),
        ("mon-fri 08:00-12:00 UTC, tue 13:00-14:00 Europe/Berlin", "several time zones"),
        ("mon-fri 08:00-12:00,", "empty expression"),
        ("08:00-19:00", "08:00-19:00"),
        ("mon-fri 0800-1900 UTC", "0800-1900"),
        ("mon-fri 08:00-19:00 UTC extra", "UTC extra"),
    ],
)
def test_inline_errors_name_the_token_and_forms(catalog: Catalog, spec: str, token: str) -> None:
    with pytest.raises(ScheduleError) as err:
        catalog.resolve(spec)
    assert token in str(err.value)


def test_inline_canonical_form(catalog: Catalog) -> None:
    schedule = catalog.resolve("MON,wed 9:00-12:00 13:00-17:00, fri 09:00-12:00 europe/paris")
    assert to_inline(schedule) == "mon,wed 09:00-12:00 13:00-17:00, fri 09:00-12:00 Europe/Paris"
    assert catalog.resolve(to_inline(schedule)).periods == schedule.periods


# Label-safe -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "inline"),
    [
        ("mon-fri_0800-1900_europe-berlin", "mon-fri 08:00-19:00 Europe/Berlin"),
        ("mon_wed_0900-1700_utc", "mon,wed 09:00-17:00 UTC"),
        ("mon-fri_0800-1200_1300-1800_utc", "mon-fri 08:00-12:00 13:00-18:00 UTC"),
        (
            "mon-fri_0800-1800_sat_1000-1400_asia-tokyo",
            "mon-fri 08:00-18:00, sat 10:00-14:00 Asia/Tokyo",
        ),
        (
            "fri-mon_2200-0600_america-port--au--prince",
            "fri-mon 22:00-06:00 America/Port-au-Prince",
        ),
        (
            "daily_0700-2300_america-argentina-buenos_aires",
            "daily 07:00-23:00 America/Argentina/Buenos_Aires",
        ),
        ("mon-fri_0800-1900_etc-gmt-plus12", "mon-fri 08:00-19:00 Etc/GMT+12"),
        ("mon-fri_0800-1900_etc-gmt--13", "mon-fri 08:00-19:00 Etc/GMT-13"),
        ("weekdays_0000-2400_america-new_york", "weekdays 00:00-24:00 America/New_York"),
    ],
)
def test_label_forms(catalog: Catalog, label: str, inline: str) -> None:
    from_label = catalog.resolve(label)
    from_inline = catalog.resolve(inline)
    assert from_label.source == Source.LABEL
    assert (from_label.periods, from_label.timezone) == (from_inline.periods, from_inline.timezone)
    assert to_label(from_inline) == label
    assert to_inline(from_label) == inline


def test_label_without_zone_uses_default(catalog: Catalog) -> None:
    assert catalog.resolve("mon-fri_0800-1900").timezone == "Europe/London"


@pytest.mark.parametrize(
    ("label", "token"),
    [
        ("mon-fri_0800-2500_utc", "0800-2500"),
        ("mon-fri_utc", "utc"),
        ("mon-fri__0800-1900", "__"),
        ("0800-1900_utc", "0800-1900"),
        ("mon-fri_0800-1900_europe-atlantis", "europe-atlantis"),
        ("mon_0800-0900_mon", "ends without a time range"),
        ("mon-fri_0800-1900_europe/berlin", "europe/berlin"),
    ],
)
def test_label_errors(catalog: Catalog, label: str, token: str) -> None:
    with pytest.raises(ScheduleError) as err:
        catalog.resolve(label)
    assert token in str(err.value)


def _fits(zone: str) -> bool:
    return len("mon-fri_0800-1900_" + encode_zone(zone)) <= 63


ALL_ZONES = sorted(zoneinfo.available_timezones())


@pytest.mark.parametrize("zone", ALL_ZONES)
def test_every_iana_zone_round_trips_through_the_label_form(catalog: Catalog, zone: str) -> None:
    encoded = encode_zone(zone)
    assert decode_zone(encoded) == zone
    inline = f"mon-fri 08:00-19:00 {zone}"
    schedule = catalog.resolve(inline)
    if not _fits(zone):
        with pytest.raises(ScheduleError, match="at most 63"):
            to_label(schedule)
        return
    label = to_label(schedule)
    assert len(label) <= 63 and label == label.lower()
    assert set(label) <= set("abcdefghijklmnopqrstuvwxyz0123456789-_")
    back = catalog.resolve(label)
    assert (back.periods, back.timezone) == (schedule.periods, zone)
    assert to_inline(back) == inline


def test_to_label_rejects_what_it_cannot_express(catalog: Catalog) -> None:
    with pytest.raises(ScheduleError, match="no inline form"):
        to_label(catalog.resolve("off=(M-F,19)"))
    with pytest.raises(ScheduleError, match="never runs"):
        to_label(catalog.resolve("always-off"))


# Cloud Custodian ------------------------------------------------------------------------

# 2026-11-30 is a Monday; America/Los_Angeles is UTC-8 then.


def test_custodian_basic(catalog: Catalog) -> None:
    schedule = catalog.resolve("off=(M-F,19);on=(M-F,7);tz=pt")
    assert schedule.source == Source.CUSTODIAN
    assert schedule.timezone == "America/Los_Angeles"
    assert desired_state(schedule, utc(2026, 11, 30, 14, 59)) == S  # 06:59
    assert desired_state(schedule, utc(2026, 11, 30, 15)) == R  # 07:00
    assert desired_state(schedule, utc(2026, 12, 1, 3)) == S  # 19:00
    assert desired_state(schedule, utc(2026, 12, 5, 20)) == S  # Saturday
    assert running_hours_per_week(schedule) == 60


def test_custodian_lists_and_sunday(catalog: Catalog) -> None:
    schedule = catalog.resolve("off=[(M-F,21),(U,18)];on=[(M-F,6),(U,10)];tz=et")
    assert schedule.timezone == "America/New_York"
    sunday = datetime(2026, 12, 6, 12, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
    assert desired_state(schedule, sunday) == R
    assert desired_state(schedule, sunday.replace(hour=18)) == S
    assert running_hours_per_week(schedule) == 5 * 15 + 8


@pytest.mark.parametrize(
    "value",
    [
        "off=(M-F,19);on=(M-F,7);tz=pt",
        "OFF=(m-f,19);ON=(m-f,7);TZ=PT",
        "offu3du28M-Fu2c19u29u3bonu3du28M-Fu2c7u29u3btzu3dpt",
        "off=(M-F,19);on=(M-F,7);tz=America/Los_Angeles",
        "off=(M-F,19);on=(M-F,7);tz=america/los_angeles",
        "off=(M-F,19);on=(M-F,7);tz=americau2flos_angeles",
        "off=(M-F,19); on=(M-F,7); tz=pt;",
        "off=[(M-F,19)];on=[(M-F,7)];tz=pt",
        "off=(M,T,W,H,F,19);on=(M-F,7);tz=pt",
        "tz=pt",  # both sides default: off 19, on 7, Monday-Friday
        "off=(M-F,19);tz=pt",
        "on=(M-F,7);tz=pt",
    ],
)
def test_custodian_variants_mean_the_same(catalog: Catalog, value: str) -> None:
    reference = catalog.resolve("off=(M-F,19);on=(M-F,7);tz=pt")
    schedule = catalog.resolve(value)
    for hour in range(0, 24 * 7, 5):
        at = utc(2026, 11, 30) + hour * (utc(2026, 1, 1, 1) - utc(2026, 1, 1))
        assert desired_state(schedule, at) == desired_state(reference, at), (value, at)


def test_custodian_missing_tz_uses_default(catalog: Catalog) -> None:
    assert catalog.resolve("off=(M-F,20)").timezone == "Europe/London"


def test_custodian_wrapping_day_range(catalog: Catalog) -> None:
    schedule = catalog.resolve("off=(F-M,23);on=(F-M,9);tz=utc")
    assert desired_state(schedule, utc(2026, 12, 6, 12)) == R  # Sunday
    assert desired_state(schedule, utc(2026, 12, 2, 12)) == S  # Wednesday (off since Mon 23)


def test_custodian_off_opts_out(catalog: Catalog) -> None:
    for value in ("off", "OFF", " off "):
        schedule = catalog.resolve(value)
        assert schedule.opt_out and schedule.source == Source.CUSTODIAN


@pytest.mark.parametrize(
    ("value", "token"),
    [
        ("off=(M-F,19:30);on=(M-F,7)", "19:30"),
        ("off=(M-F,24)", "24"),
        ("off=(X-F,19)", "x"),
        ("off=(M-F,19);tz=mars", "mars"),
        ("off=(M-F,19);off=(M-F,20)", "twice"),
        ("off=[(M-F,19)(U,1)]", "19u"),
        ("off=(M-F,19);bogus=1", "bogus="),
        ("on=", "on="),
    ],
)
def test_custodian_errors(catalog: Catalog, value: str, token: str) -> None:
    with pytest.raises(ScheduleError) as err:
        catalog.resolve(value)
    assert token in str(err.value).lower()


# Dispatch ---------------------------------------------------------------------------


def test_unknown_name_lists_catalog_and_forms(catalog: Catalog) -> None:
    with pytest.raises(ScheduleError) as err:
        catalog.resolve("office-hour")
    message = str(err.value)
    assert "office-hour" in message and "office-hours" in message and "inline" in message


def test_names_are_case_insensitive_and_trimmed(catalog: Catalog) -> None:
    assert catalog.resolve(" Office-Hours ").name == "office-hours"


@pytest.mark.parametrize("value", ["", "   ", "x" * 2000, "\x00", "💥"])
def test_garbage_is_a_schedule_error(catalog: Catalog, value: str) -> None:
    with pytest.raises(ScheduleError):
        catalog.resolve(value)


def test_resolve_is_cached(catalog: Catalog) -> None:
    assert catalog.resolve("mon-fri 08:00-19:00 UTC") is catalog.resolve("mon-fri 08:00-19:00 UTC")
    with pytest.raises(ScheduleError) as first:
        catalog.resolve("nope-nope")
    with pytest.raises(ScheduleError) as second:
        catalog.resolve("nope-nope")
    assert first.value is second.value
