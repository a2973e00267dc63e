"""The override tag."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from schedules import Override, ScheduleError, format_override, override_active, parse_override


def test_running_until() -> None:
    override = parse_override("running-until-20261129t2000z")
    assert override == Override("running", datetime(2026, 11, 29, 20, 0, tzinfo=UTC))
    assert override_active(override, datetime(2026, 11, 29, 19, 59, tzinfo=UTC))
    assert not override_active(override, datetime(2026, 11, 29, 20, 0, tzinfo=UTC))
    berlin = ZoneInfo("Europe/Berlin")
    assert override_active(override, datetime(2026, 11, 29, 20, 59, tzinfo=berlin))


def test_stopped_until_is_case_insensitive() -> None:
    override = parse_override(" Stopped-Until-20261201T0800Z ")
    assert override.mode == "stopped"
    assert override.until == datetime(2026, 12, 1, 8, tzinfo=UTC)


@pytest.mark.parametrize("value", ["opt-out", "skip", "OPT-OUT"])
def test_opt_out_is_always_active(value: str) -> None:
    override = parse_override(value)
    assert override == Override("opt-out", None)
    assert override_active(override, datetime(2099, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    "value",
    [
        "running-until-20261329t2000z",
        "running-until-20260230t2000z",
        "running-until-20261129t2400z",
        "running-until-20261129t2000",
        "paused-until-20261129t2000z",
        "running",
        "",
    ],
)
def test_bad_overrides(value: str) -> None:
    with pytest.raises(ScheduleError, match="override"):
        parse_override(value)


def test_format_round_trips_and_is_label_safe() -> None:
    for value in ["running-until-20261129t2000z", "stopped-until-20280229t0000z", "opt-out"]:
        text = format_override(parse_override(value))
        assert text == value and len(text) <= 63
    later = Override("running", datetime(2026, 11, 29, 21, tzinfo=ZoneInfo("Europe/Berlin")))
    assert format_override(later) == "running-until-20261129t2000z"


def test_naive_instant_rejected() -> None:
    with pytest.raises(ScheduleError):
        override_active(parse_override("skip"), datetime(2026, 1, 1))
