"""Benchmark: resolve + desired_state for 100,000 resources sharing 50 schedule specs.

Run: .venv/bin/python bench/bench_schedules.py   (prints numbers; not a unit test)
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from meter import Meter

from schedules import desired_state, load_catalog, next_transition, transitions

RESOURCES = 100_000
ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "UTC",
    "America/Argentina/Buenos_Aires",
    "Etc/GMT+12",
    "Pacific/Chatham",
]
USER_CATALOG = """
schedules:
  - name: cron-office
    cron: {start: "0 8 * * 1-5", stop: "0 19 * * 1-5"}
    timezone: Europe/Paris
  - name: cron-monthly
    cron: {start: "0 8 1-7 * *", stop: "0 18 1-7 * *"}
  - name: us-office
    timezone: America/Los_Angeles
    holidays: {country: US, subdivision: CA, dates: [2026-12-24]}
    periods: [{days: mon-fri, start: "08:00", stop: "19:00"}]
"""


def specs() -> list[str]:
    found = ["office-hours", "extended-hours", "weekdays", "daytime", "always-on", "always-off"]
    found += ["cron-office", "cron-monthly", "us-office"]
    found += ["off=(M-F,19);on=(M-F,7);tz=pt", "off=[(M-F,21),(U,18)];on=[(M-F,6),(U,10)];tz=et"]
    for i, zone in enumerate(ZONES):
        found.append(f"mon-fri {7 + i % 3:02d}:00-{18 + i % 4:02d}:30 {zone}")
        found.append(f"fri-mon 22:00-06:00, sat 10:00-14:00 {zone}")
        found.append(f"mon,wed,fri 08:00-12:00 13:00-17:00 {zone}")
        label_zone = zone.lower().replace("-", "--").replace("/", "-").replace("+", "-plus")
        found.append(f"mon-fri_{8 + i % 2:02d}00-1800_{label_zone}")
    found.append("daily 00:00-24:00")
    found.append("sat-sun 09:00-17:00 Asia/Tokyo")
    for hour in range(5):
        found.append(f"off=(M-F,{17 + hour});on=(M-F,{6 + hour});tz=cet")
    return found[:50]


def main() -> None:
    with Meter() as meter:
        phases = measure()
    for label, wall, cpu in phases:
        print(f"{label:<40} {wall * 1000:8.1f} ms wall {cpu * 1000:8.1f} ms CPU")
    print(f"whole benchmark: {meter.line()}")


def measure() -> list[tuple[str, float, float]]:
    phases: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "user.yaml").write_text(USER_CATALOG, encoding="utf-8")
        catalog = load_catalog([tmp], default_tz="Europe/London")
    distinct = specs()
    assert len(set(distinct)) == 50, len(set(distinct))
    rng = random.Random(7)
    fleet = [rng.choice(distinct) for _ in range(RESOURCES)]
    now = datetime(2026, 11, 30, 9, 17, tzinfo=UTC)

    def timed(label: str, wall: float, cpu: float) -> None:
        phases.append((label, time.perf_counter() - wall, time.process_time() - cpu))

    began, cpu = time.perf_counter(), time.process_time()
    for spec in distinct:  # first sight: parse + compile
        desired_state(catalog.resolve(spec), now)
    timed("compile 50 distinct specs", began, cpu)

    began, cpu = time.perf_counter(), time.process_time()
    running = 0
    for spec in fleet:
        running += desired_state(catalog.resolve(spec), now) == "running"
    timed(f"resolve+desired_state x {RESOURCES:,} ({running:,} run)", began, cpu)

    began, cpu = time.perf_counter(), time.process_time()
    for spec in distinct:  # first sight of each (schedule, now): computed, then remembered
        next_transition(catalog.resolve(spec), now)
        transitions(catalog.resolve(spec), now - timedelta(days=8), now)
    timed("next_transition+8-day transitions, 50", began, cpu)

    began, cpu = time.perf_counter(), time.process_time()
    for spec in fleet:
        schedule = catalog.resolve(spec)
        next_transition(schedule, now)
        transitions(schedule, now - timedelta(days=8), now)  # "off since ..." in a reason
    timed(f"the same x {RESOURCES:,} (shared now)", began, cpu)
    return phases


if __name__ == "__main__":
    main()
