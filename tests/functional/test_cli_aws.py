"""The CLI end to end on moto: plan, run, explain, wake, ledger show, settings precedence."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from functions.cli.main import main
from sandbox.aws_fleet import Box, instance_states, launch

EVENING = "2026-11-23T20:00:00+00:00"  # a Monday, after office hours
LATER = "2026-11-23T21:00:00+00:00"


@pytest.fixture
def fleet(ec2: Any) -> Any:
    launch(ec2, Box("dev", "t3.medium", {"schedule": "office-hours"}))
    launch(ec2, Box("prod", "t3.medium", {"schedule": "office-hours", "environment": "prod"}))
    return ec2


def cli(*args: str) -> int:
    return main(list(args))


def test_plan_lists_every_decision_and_changes_nothing(
    fleet: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli("plan", "--region", "eu-west-1", "--ledger", str(tmp_path), "--at", EVENING)
    out = capsys.readouterr().out
    assert code == 0
    assert "stop" in out and "office-hours: off since Mon 19:00 UTC" in out
    assert "protected: environment=prod" in out
    assert instance_states(fleet) == {"dev": "running", "prod": "running"}
    assert list(tmp_path.iterdir()) == []


def test_run_acts_and_writes_the_ledger(
    fleet: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli("run", "--region", "eu-west-1", "--ledger", str(tmp_path), "--at", EVENING)
    out = capsys.readouterr().out
    assert code == 0
    assert instance_states(fleet) == {"dev": "stopped", "prod": "running"}
    assert "1 stop done" in out
    # The ledger object's whole location: the file is there.
    written = f"ledger: {tmp_path}/ledger/v1/provider=aws/account=123456789012/date=2026-11-23/"
    assert written in out
    path = next(line for line in out.splitlines() if line.startswith("ledger: "))[8:]
    assert Path(path).is_file()
    # The box counts as off only as far as a run saw it off: the next hour's run.
    cli("ledger", "show", "--ledger", str(tmp_path), "--since", "2026-11-20")
    assert "saved 0.00 USD over 0 resources" in capsys.readouterr().out
    cli("run", "--region", "eu-west-1", "--ledger", str(tmp_path), "--at", LATER)
    capsys.readouterr()
    cli("ledger", "show", "--ledger", str(tmp_path), "--since", "2026-11-20")
    shown = capsys.readouterr().out
    assert shown.splitlines()[0].split()[:3] == ["PROVIDER", "KIND", "NAME"]
    assert "over 1 resources" in shown
    assert "no run since Mon 23 Nov 21:00 UTC: nothing claimed after that" in shown


def test_run_dry_run_flag(fleet: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cli("run", "--dry-run", "--region", "eu-west-1", "--ledger", str(tmp_path), "--at", EVENING)
    assert "dry run: nothing changed" in capsys.readouterr().out
    assert instance_states(fleet)["dev"] == "running"


def test_explain_names_tag_schedule_state_and_next_change(
    fleet: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli(
        "explain", "dev", "--region", "eu-west-1", "--ledger", str(tmp_path), "--at", EVENING
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "tag:        schedule=office-hours" in out
    assert "desired:    stopped" in out
    assert "next:       2026-11-24T08:00:00+00:00 -> running" in out
    assert "decision:   stop: office-hours: off since Mon 19:00 UTC" in out


def test_wake_starts_a_stopped_resource(
    fleet: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli("run", "--region", "eu-west-1", "--ledger", str(tmp_path), "--at", EVENING)
    code = cli(
        "wake",
        "dev",
        "--region",
        "eu-west-1",
        "--ledger",
        str(tmp_path),
        "--at",
        "2026-11-23T21:00:00+00:00",
    )
    assert code == 0
    assert instance_states(fleet)["dev"] == "running"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("plan", "--at", "2026-11-23T20:00:00"), "has no UTC offset"),
        (("plan", "--protected", "environment"), "protected: 'environment' is not KEY[|KEY"),
        (("plan", "--provider", "oracle"), "unknown provider 'oracle'"),
        (("explain", "nobody", "--region", "eu-west-1"), "no resource 'nobody'"),
        (("ledger", "show", "--since", "yesterday"), "is not a date"),
    ],
)
def test_usage_errors_are_one_line(
    fleet: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: tuple[str, ...],
    message: str,
) -> None:
    code = cli(*args, *(("--ledger", str(tmp_path)) if args[0] != "ledger" or True else ()))
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_settings_precedence_flag_over_env_over_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.settings import Settings

    config = tmp_path / "offhours.yaml"
    config.write_text("tag_key: from-file\ndefault_tz: Europe/Paris\ngrace-minutes: 5\n")
    monkeypatch.setenv("OFFHOURS_TAG_KEY", "from-env")
    settings = Settings.from_sources(
        {"default_tz": "Asia/Tokyo"}, {"OFFHOURS_TAG_KEY": "from-env"}, config
    )
    assert (settings.tag_key, settings.default_tz, settings.grace_minutes) == (
        "from-env",
        "Asia/Tokyo",
        5,
    )


def test_console_script_reports_missing_credentials_in_one_line(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    }
    script = Path(sys.executable).with_name("offhours")
    proc = subprocess.run(
        [str(script), "plan", "--region", "eu-west-1", "--ledger", str(tmp_path / "l")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode != 0
    assert "credentials" in proc.stderr.lower()
    assert "Traceback" not in proc.stderr
