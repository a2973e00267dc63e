"""``offhours schedule ...`` through functions.cli.main.main, plus one real subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from functions.cli.main import main

REPO = Path(__file__).resolve().parents[3]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["schedule", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_state(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "state", "office-hours", "--at", "2026-11-30T09:00:00+01:00")
    assert (code, out.splitlines()[0]) == (0, "running")
    code, out, _ = run(
        capsys, "state", "office-hours", "--at", "2026-11-30T10:00:00Z", "--tz", "Asia/Tokyo"
    )
    assert (code, out.splitlines()[0]) == (0, "stopped")  # 19:00 in Tokyo


def test_state_uses_tz_for_specs_without_zone(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "state", "mon-fri 08:00-19:00", "--at", "2026-11-30T10:30:00Z", "--tz", "Asia/Tokyo"
    )
    assert (code, out.strip()) == (0, "stopped")  # 19:30 in Tokyo
    code, out, _ = run(capsys, "state", "mon-fri 08:00-19:00", "--at", "2026-11-30T10:30:00Z")
    assert (code, out.strip()) == (0, "running")  # UTC


def test_state_without_offset_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "state", "office-hours", "--at", "2026-11-30T09:00:00")
    assert code == 2 and out == ""
    assert "no UTC offset" in err and "Traceback" not in err
    code, _, err = run(capsys, "state", "office-hours", "--at", "yesterday")
    assert code == 2 and "yesterday" in err


def test_next(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "next", "mon-fri 08:00-19:00 Europe/Berlin", "--at", "2026-11-30T09:00:00+01:00"
    )
    assert (code, out.strip()) == (0, "2026-11-30T19:00:00+01:00 stopped")
    code, out, _ = run(capsys, "next", "always-on", "--at", "2026-11-30T09:00:00Z")
    assert (code, out.strip()) == (0, "never running")
    code, out, _ = run(capsys, "next", "always-off", "--at", "2026-11-30T09:00:00Z")
    assert (code, out.strip()) == (0, "never stopped")


def test_check_spec(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "mon-fri_0800-1900_europe-berlin")
    assert code == 0 and out.startswith("ok:") and "55 h/week" in out and len(out.splitlines()) == 1
    code, out, _ = run(capsys, "check", "off")
    assert code == 0 and "opts the resource out" in out
    code, out, _ = run(capsys, "check", "running-until-20261129t2000z")
    assert code == 0 and "override" in out


@pytest.mark.parametrize(
    ("spec", "token"),
    [
        ("mon-fry 08:00-19:00", "mon-fry"),
        ("off=(M-F,19:30)", "19:30"),
        ("mon-fri_0800-1900_europe-atlantis", "europe-atlantis"),
        ("running-until-20261329t2000z", "20261329"),
        ("office-hourz", "office-hourz"),
    ],
)
def test_check_bad_spec(capsys: pytest.CaptureFixture[str], spec: str, token: str) -> None:
    code, out, err = run(capsys, "check", spec)
    assert code == 2 and out == ""
    assert token in err and "valid" in err and "Traceback" not in err


def test_check_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(
        "schedules:\n  - {name: lunch, periods: [{days: daily, start: '12:00', stop: '13:00'}]}\n"
    )
    code, out, _ = run(capsys, "check", str(good))
    assert code == 0 and "lunch" in out
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "schedules:\n  - {name: lunch, timezone: Nowhere,"
        " periods: [{days: funday, start: '12:00', stop: '13:00'}]}\n"
    )
    code, out, err = run(capsys, "check", str(bad))
    assert code == 2 and "Nowhere" in err and "funday" in err and "bad.yaml" in err
    code, _, err = run(capsys, "check", str(tmp_path / "missing.yaml"))
    assert code == 2 and "missing.yaml" in err


def test_list(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "team.yaml").write_text(
        "schedules:\n  - {name: lunch, description: Lunch only, timezone: Asia/Tokyo,"
        " periods: [{days: daily, start: '12:00', stop: '13:00'}]}\n"
    )
    code, out, _ = run(capsys, "list", "--catalog", str(tmp_path), "--tz", "Europe/Paris")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["NAME", "ZONE", "H/WEEK", "DESCRIPTION"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows["office-hours"][1:3] == ["Europe/Paris", "55"]
    assert rows["lunch"][1:4] == ["Asia/Tokyo", "7", "Lunch"]
    assert len(rows) == 7


def test_bad_catalog_and_tz_are_errors_not_tracebacks(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "list", "--tz", "Mars/Olympus")
    assert code == 2 and "Mars/Olympus" in err
    code, _, err = run(
        capsys,
        "state",
        "office-hours",
        "--at",
        "2026-11-30T09:00:00Z",
        "--catalog",
        str(tmp_path / "nope"),
    )
    assert code == 2 and "nope" in err


def test_console_script(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "offhours"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "functions.cli.main"]
    done = subprocess.run(
        [
            *command,
            "schedule",
            "state",
            "office-hours",
            "--at",
            "2026-11-30T09:00:00+01:00",
            "--tz",
            "Europe/Berlin",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "running"
    bad = subprocess.run(
        [*command, "schedule", "check", "mon-fri 25:00-26:00"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        timeout=60,
    )
    assert bad.returncode == 2 and "25:00" in bad.stderr and "Traceback" not in bad.stderr


def test_one_sided_state_next_check(capsys: pytest.CaptureFixture[str]) -> None:
    spec = "stop-only mon-fri 19:00 Europe/Berlin"
    code, out, _ = run(capsys, "state", spec, "--at", "2026-11-30T21:00:00+01:00")
    assert (code, out.strip()) == (0, "stopped")  # inside the catch-up window
    code, out, _ = run(capsys, "state", spec, "--at", "2026-12-01T09:00:00+01:00")
    assert (code, out.strip()) == (0, "as-is")  # no opinion: people start it when they need it
    code, out, _ = run(capsys, "next", "stop-only_1900_europe-berlin", "--at", "2026-12-01T09:00Z")
    assert (code, out.strip()) == (0, "2026-12-01T19:00:00+01:00 stopped")
    code, out, _ = run(capsys, "next", "start-only mon-fri 07:00 UTC", "--at", "2026-12-04T08:00Z")
    assert (code, out.strip()) == (0, "2026-12-07T07:00:00+00:00 running")
    code, out, _ = run(capsys, "check", "start-only_mon-fri_0700_utc")
    assert code == 0 and out.strip().endswith("zone UTC; start-only")


def test_list_shows_stop_only_instead_of_hours(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "team.yaml").write_text(
        "schedules:\n"
        "  - {name: evenings, timezone: UTC, periods: [{days: mon-fri, stop: '19:00'}]}\n"
        "  - {name: runners, timezone: UTC, cron: {start: '0 7 * * 1-5'}}\n"
    )
    code, out, _ = run(capsys, "list", "--catalog", str(tmp_path))
    assert code == 0
    rows = {line.split()[0]: line.split() for line in out.splitlines()[1:]}
    assert rows["evenings"][1:5] == ["UTC", "stop-only", "stop-only:", "stop"]
    assert rows["runners"][1:3] == ["UTC", "start-only"]
    assert rows["office-hours"][2] == "55"
