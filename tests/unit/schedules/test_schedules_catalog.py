"""Catalog files: bundled schedules, user overrides, schema validation reporting every problem."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from schedules import ScheduleError, Source, State, desired_state, load_catalog

BUNDLED = {"office-hours", "extended-hours", "weekdays", "daytime", "always-on", "always-off"}


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_catalog_uses_default_zone() -> None:
    catalog = load_catalog()
    assert {s.name for s in catalog} == BUNDLED
    assert all(s.timezone == "UTC" for s in catalog)
    assert "office-hours" in catalog and "nope" not in catalog
    assert load_catalog(default_tz="asia/tokyo").resolve("office-hours").timezone == "Asia/Tokyo"


def test_user_catalog_adds_and_overrides_by_name(tmp_path: Path) -> None:
    first = tmp_path / "team"
    second = tmp_path / "override"
    write(
        first,
        "team.yaml",
        """
schedules:
  - name: office-hours
    description: Our office hours
    timezone: Europe/Paris
    periods:
      - {days: mon-fri, start: 09:00, stop: 17:30}
  - name: gpu-nights
    timezone: America/New_York
    hibernate: true
    holidays: {country: US, dates: [2026-12-24]}
    periods:
      - {days: [mon, tue, wed, thu, fri], start: "20:00", stop: "06:00"}
  - name: cron-office
    cron: {start: "0 8 * * 1-5", stop: "0 19 * * 1-5"}
""",
    )
    write(second, "later.yml", "schedules:\n  - name: gpu-nights\n    periods: []\n")
    catalog = load_catalog([first, str(second)], default_tz="Europe/Berlin")
    office = catalog.resolve("office-hours")
    assert office.description == "Our office hours"
    assert office.timezone == "Europe/Paris"
    assert office.periods[0].stop == 17 * 60 + 30  # an unquoted 17:30 is a time, not a number
    assert catalog.resolve("gpu-nights").periods == ()  # the later directory wins
    assert catalog.resolve("cron-office").timezone == "Europe/Berlin"
    assert catalog.resolve("cron-office").source == Source.CATALOG
    only_first = load_catalog([first])
    assert only_first.resolve("gpu-nights").hibernate is True
    assert (
        desired_state(only_first.resolve("gpu-nights"), datetime(2026, 12, 1, 3, tzinfo=UTC))
        == State.RUNNING
    )  # Monday 22:00 New York


def test_every_problem_is_reported_with_file_schedule_and_field(tmp_path: Path) -> None:
    write(
        tmp_path,
        "bad.yaml",
        """
schedules:
  - name: broken
    timezone: Mars/Olympus
    periods:
      - {days: mon-fry, start: "25:00", stop: "19:00"}
      - {days: sat, start: "10:00", stop: "10:00"}
    holidays: {country: XX, dates: [2026-13-01]}
    hibernate: maybe
    colour: blue
  - name: Bad Name
    cron: {start: "0 8 * * 1-5", stop: "every evening"}
  - name: both
    periods: []
    cron: {start: "0 8 * * *", stop: "0 9 * * *"}
  - description: no name at all
    periods: []
  - name: off
    periods: []
  - name: good
    periods: []
""",
    )
    write(tmp_path, "dup.yaml", "schedules:\n  - {name: good, periods: []}\n")
    write(tmp_path, "syntax.yaml", "schedules: [unclosed\n")
    with pytest.raises(ScheduleError) as err:
        load_catalog([tmp_path])
    problems = err.value.problems
    text = str(err.value)
    expected = [
        ("bad.yaml", "'broken'", "'timezone'", "Mars/Olympus"),
        ("bad.yaml", "'broken'", "'periods[0].days'", "mon-fry"),
        ("bad.yaml", "'broken'", "'periods[0].start'", "25:00"),
        ("bad.yaml", "'broken'", "'periods[1]'", "start equals stop"),
        ("bad.yaml", "'broken'", "'holidays.country'", "XX"),
        ("bad.yaml", "'broken'", "'holidays.dates[0]'", "2026-13-01"),
        ("bad.yaml", "'broken'", "'hibernate'", "maybe"),
        ("bad.yaml", "'broken'", "'colour'", "unknown field"),
        ("bad.yaml", "'Bad Name'", "'name'", "Bad Name"),
        ("bad.yaml", "'Bad Name'", "'cron.stop'", "every evening"),
        ("bad.yaml", "'both'", "'periods'", "either periods or cron"),
        ("bad.yaml", "schedule #4", "'name'", "non-empty text"),
        ("bad.yaml", "schedule #5", "'name'", "booleans"),  # YAML reads off as false
        ("dup.yaml", "'good'", "'name'", "also defined in"),
        ("syntax.yaml", "line", "", "not valid YAML"),
    ]
    for parts in expected:
        assert any(all(p in line for p in parts) for line in problems), (parts, text)
    assert len(problems) == len(expected)
    assert text.startswith(f"{len(expected)} problems in schedule catalog:")


def test_missing_directory_and_bad_default_zone(tmp_path: Path) -> None:
    with pytest.raises(ScheduleError, match="no such catalog"):
        load_catalog([tmp_path / "missing"])
    with pytest.raises(ScheduleError, match="Mars/Olympus"):
        load_catalog(default_tz="Mars/Olympus")


@pytest.mark.parametrize(
    "text",
    ["", "[]", "schedules: 3", "schedules: [1, 2]", "just text", "schedules: [{name: x}]"],
)
def test_malformed_files_are_problems_not_crashes(tmp_path: Path, text: str) -> None:
    write(tmp_path, "x.yaml", text)
    with pytest.raises(ScheduleError) as err:
        load_catalog([tmp_path])
    assert "x.yaml" in str(err.value)


def test_catalog_file_path_accepted(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "one.yaml",
        "schedules:\n  - {name: lunch, periods: [{days: daily, start: '12:00', stop: '13:00'}]}\n",
    )
    assert "lunch" in load_catalog([path])
