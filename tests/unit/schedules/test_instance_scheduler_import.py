"""``offhours schedule import --from instance-scheduler``: Instance Scheduler on AWS's
config table as an offhours catalog.

The table in ``data/instance-scheduler-scan.json`` is an ``aws dynamodb scan`` of the
config table (DynamoDB typed JSON). Its first periods and schedules are Instance
Scheduler's own documented examples, the demo data it creates
(``source/app/instance_scheduler/requesthandlers/setup_demo_data.py`` in
github.com/aws-solutions/instance-scheduler-on-aws): working-days, weekends,
office-hours, first-monday-in-quarter (``mon#1``, months ``jan/3``), and the schedules
seattle-office-hours (US/Pacific), uk-office-hours, stopped, running and scale-up-down
(``period@instance-type``). The others exercise its period reference (numeric weekdays,
0 = Monday; ``L``; monthdays). The written catalog is loaded and evaluated."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from functions.cli.main import main
from schedules import State, load_catalog, wanted_state
from schedules.instance_scheduler import convert, items

SCAN = Path(__file__).parent / "data" / "instance-scheduler-scan.json"


@pytest.fixture
def imported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, int, str]:
    out = tmp_path / "catalog" / "imported.yaml"
    out.parent.mkdir()
    code = main(
        ["schedule", "import", "--from", "instance-scheduler", str(SCAN), "--out", str(out)]
    )
    return out, code, capsys.readouterr().err


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_documented_schedules_convert_and_evaluate(imported: tuple[Path, int, str]) -> None:
    out, _, _ = imported
    catalog = load_catalog([out.parent])
    uk = catalog.resolve("uk-office-hours")
    assert uk.timezone == "Europe/London"
    # Monday 2026-11-23: 09:00-17:00 London (UTC+0 in November).
    assert wanted_state(uk, at("2026-11-23T10:00:00+00:00")) == State.RUNNING
    assert wanted_state(uk, at("2026-11-23T17:30:00+00:00")) == State.STOPPED
    assert wanted_state(uk, at("2026-11-28T10:00:00+00:00")) == State.STOPPED  # Saturday
    seattle = catalog.resolve("seattle-office-hours")
    # 09:00 in Seattle is 17:00 UTC in November.
    assert wanted_state(seattle, at("2026-11-23T16:30:00+00:00")) == State.STOPPED
    assert wanted_state(seattle, at("2026-11-23T17:30:00+00:00")) == State.RUNNING
    assert (
        wanted_state(catalog.resolve("running"), at("2026-11-28T03:00:00+00:00")) == State.RUNNING
    )
    assert (
        wanted_state(catalog.resolve("stopped"), at("2026-11-23T12:00:00+00:00")) == State.STOPPED
    )


def test_numeric_weekdays_count_from_monday(imported: tuple[Path, int, str]) -> None:
    out, _, err = imported
    berlin = load_catalog([out.parent]).resolve("berlin-long-days")
    # 0-4 is Monday to Friday: Friday 08:00 Berlin runs, Saturday does not.
    assert wanted_state(berlin, at("2026-11-27T08:00:00+01:00")) == State.RUNNING
    assert wanted_state(berlin, at("2026-11-28T08:00:00+01:00")) == State.STOPPED
    assert "'berlin-long-days': not carried over: enforced, retain_running" in err


def test_what_cannot_be_expressed_is_reported_and_left_out(
    imported: tuple[Path, int, str],
) -> None:
    out, code, err = imported
    assert code == 1
    written = {s.name for s in load_catalog([out.parent]) if s.name in _TABLE_NAMES}
    assert written == {
        "seattle-office-hours",
        "uk-office-hours",
        "stopped",
        "running",
        "berlin-long-days",
    }
    assert "'scale-up-down' not converted: period 'weekends@t2.nano' resizes" in err
    assert "'quarterly' not converted: period 'first-monday-in-quarter': months jan/3" in err
    assert "'month-end-reporting' not converted: period 'last-friday': weekday 'fril'" in err
    assert "'month-start-batch' not converted: period 'month-start': monthdays 1-3" in err
    assert "5 schedules converted, 4 not converted" in err


_TABLE_NAMES = {
    "seattle-office-hours",
    "uk-office-hours",
    "stopped",
    "running",
    "scale-up-down",
    "quarterly",
    "berlin-long-days",
    "month-end-reporting",
    "month-start-batch",
}


def test_export_lines_read_like_a_scan() -> None:
    """A DynamoDB export to S3 is one ``{"Item": …}`` a line: the same schedules."""
    scan = json.loads(SCAN.read_text())
    lines = [{"Item": item} for item in scan["Items"]]
    assert convert(items(lines)).schedules == convert(items(scan)).schedules


def test_an_unreadable_export_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "table.json"
    bad.write_text("{not json")
    assert main(["schedule", "import", "--from", "instance-scheduler", str(bad)]) == 2
    assert "not JSON" in capsys.readouterr().err
