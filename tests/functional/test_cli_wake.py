"""``offhours wake --for/--until`` on moto: the box comes back, carries the override tag,
survives the runs until then and is stopped by the first run after; every wake says
when the box will be stopped again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from functions.cli.main import main
from functions.cli.wake import hold_until, parse_duration
from sandbox.aws_fleet import Box, instance_states, launch

EVENING = "2026-11-23T20:00:00+00:00"  # a Monday, after office hours
NINE_PM = "2026-11-23T21:00:00+00:00"


@pytest.fixture
def fleet(ec2: Any, tmp_path: Path) -> Any:
    launch(ec2, Box("dev", "t3.medium", {"schedule": "office-hours"}))
    launch(ec2, Box("other", "t3.medium", {"schedule": "office-hours"}))
    assert cli("run", *where(tmp_path), "--at", EVENING) == 0
    assert instance_states(ec2) == {"dev": "stopped", "other": "stopped"}
    return ec2


def where(tmp_path: Path) -> tuple[str, ...]:
    return ("--region", "eu-west-1", "--ledger", str(tmp_path / "ledger"))


def cli(*args: str) -> int:
    return main(list(args))


def tags(ec2: Any, name: str) -> dict[str, str]:
    found = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": [name]}])
    instance = found["Reservations"][0]["Instances"][0]
    return {t["Key"]: t["Value"] for t in instance["Tags"]}


def test_wake_for_two_hours_holds_the_box_until_then(
    fleet: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    code = cli("wake", "dev", "--for", "2h", *where(tmp_path), "--at", NINE_PM)
    out = capsys.readouterr().out
    assert code == 0
    assert instance_states(fleet) == {"dev": "running", "other": "stopped"}
    assert tags(fleet, "dev")["schedule-override"] == "running-until-20261123t2300z"
    assert "kept on until Mon 2026-11-23 23:00 UTC" in out
    # The scheduled runs keep it on until 23:00, and the first run after stops it.
    assert cli("run", *where(tmp_path), "--at", "2026-11-23T22:45:00+00:00") == 0
    assert instance_states(fleet)["dev"] == "running"
    assert cli("run", *where(tmp_path), "--at", "2026-11-23T23:00:00+00:00") == 0
    assert instance_states(fleet)["dev"] == "stopped"


def test_wake_until_a_wall_clock_time_in_the_zone(
    fleet: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli(
        "wake",
        "dev",
        "--until",
        "23:30",
        "--tz",
        "Europe/Berlin",
        *where(tmp_path),
        "--at",
        NINE_PM,
    )
    assert code == 0
    # 23:30 in Berlin (UTC+1 in November) is 22:30 UTC.
    assert tags(fleet, "dev")["schedule-override"] == "running-until-20261123t2230z"
    assert "kept on until Mon 2026-11-23 22:30 UTC" in capsys.readouterr().out


def test_plain_wake_says_the_grace_period_ends(
    fleet: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    code = cli("wake", "dev", *where(tmp_path), "--at", NINE_PM, "--grace-minutes", "30")
    out = capsys.readouterr().out
    assert code == 0 and instance_states(fleet)["dev"] == "running"
    assert "schedule-override" not in tags(fleet, "dev")
    assert "the first run after Mon 21:30 UTC stops it" in out


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2h", timedelta(hours=2)),
        ("90m", timedelta(minutes=90)),
        ("1d2h", timedelta(days=1, hours=2)),
    ],
)
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("hold_for", "until", "message"),
    [
        ("soon", None, "is not a duration"),
        ("8d", None, "a week at most"),
        (None, "2026-11-23T20:00:00+00:00", "is not after now"),
        (None, "2026-11-24T08:00:00", "no UTC offset"),
    ],
)
def test_bad_holds_are_usage_errors(hold_for: str | None, until: str | None, message: str) -> None:
    from functions.cli.main import UsageError

    now = datetime(2026, 11, 23, 21, 0, tzinfo=UTC)
    with pytest.raises(UsageError, match=message):
        hold_until(hold_for, until, now, "UTC")
