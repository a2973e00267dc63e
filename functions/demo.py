"""``offhours demo``: the real reconcile job on the embedded clouds, through a simulated week.

AWS is moto in-process, seeded with a small fleet (``sandbox/aws_fleet.py``). A simulated
clock steps every 15 minutes from Monday 00:00 to the next Monday; at a few moments a
"person" acts (starts a box at night, stops one during the day) so the grace period and
the start-side rules show. The ledger is written to ``<out>/ledger`` on local disk and the
week's savings are printed from the ledger alone.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from functions.reconcile import Job, RunReport, reconcile
from functions.settings import Settings
from ledger.store import LocalStore
from ledger.summary import ResourceSavings, window_summary

DEFAULT_WEEK = "2026-11-16"  # a Monday; the demo is deterministic
STEP = timedelta(minutes=15)
DEMO_TZ = "Europe/London"


@dataclass
class DemoResult:
    out: Path
    week_start: datetime
    week_end: datetime
    runs: int
    savings: list[ResourceSavings]
    reports: list[RunReport] = field(default_factory=list)
    seconds: float = 0.0


class SimClock:
    """The demo's clock: every adapter and the job read it, so time is consistent."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


Event = Callable[[], None]


def register(subparsers: Any) -> None:
    demo = subparsers.add_parser("demo", help="run a simulated week on the embedded clouds")
    demo.add_argument("--out", default="demo-out", help="output folder (default: demo-out)")
    demo.add_argument("--week", default=DEFAULT_WEEK, help="the Monday to start on (YYYY-MM-DD)")
    demo.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace) -> int:
    result = run_demo(Path(args.out), datetime.fromisoformat(args.week).replace(tzinfo=UTC))
    print_report(result, sys.stdout)
    return 0


def week_steps(start: datetime, end: datetime) -> Iterator[datetime]:
    at = start
    while at <= end:
        yield at
        at += STEP


def run_demo(out: Path, week_start: datetime, keep_reports: bool = False) -> DemoResult:
    import boto3
    from moto import mock_aws

    from functions.wiring import build_job, connect
    from sandbox import aws_fleet
    from sandbox.azure_fake import start_azure_fake
    from sandbox.azure_fake.demo import DEMO_SUBSCRIPTION, seed_demo_subscription

    began = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    ledger_dir = out / "ledger"
    _clear(ledger_dir)
    week_end = week_start + timedelta(days=7)
    clock = SimClock(week_start)
    with ExitStack() as stack:
        stack.enter_context(mock_aws())
        ec2 = boto3.client("ec2", region_name=aws_fleet.DEMO_REGION)
        ids = aws_fleet.seed(ec2, aws_fleet.demo_fleet(week_start), week_start - timedelta(days=3))
        azure = stack.enter_context(start_azure_fake(clock=clock))
        seed_demo_subscription(azure)
        settings = Settings(
            providers=("aws", "azure"),
            ledger=str(ledger_dir),
            aws_regions=(aws_fleet.DEMO_REGION,),
            azure_subscriptions=(DEMO_SUBSCRIPTION,),
            azure_endpoint_url=azure.url,
            default_tz=DEMO_TZ,
        )
        store = LocalStore(ledger_dir)
        connections = {provider: connect(settings, provider) for provider in settings.providers}
        job: Job = build_job(settings, clock, connections=connections, store=store)
        events = _people(ec2, ids, week_start)
        reports: list[RunReport] = []
        runs = 0
        for at in week_steps(week_start, week_end):
            clock.now = at
            for event in events.pop(at, []):
                event()
            report = reconcile(job, at)
            runs += 1
            if keep_reports:
                reports.append(report)
        savings = window_summary(store, week_start, week_end)
    return DemoResult(
        out, week_start, week_end, runs, savings, reports, time.perf_counter() - began
    )


def _people(ec2: Any, ids: dict[str, str], monday: datetime) -> dict[datetime, list[Event]]:
    """What people do during the week, outside offhours."""
    from sandbox import aws_fleet

    def start_by_hand(name: str, at: datetime) -> Event:
        def act() -> None:
            ec2.start_instances(InstanceIds=[ids[name]])
            aws_fleet.set_launch_time(ids[name], at)

        return act

    def stop_by_hand(name: str) -> Event:
        return lambda: ec2.stop_instances(InstanceIds=[ids[name]])

    tuesday_night = monday + timedelta(days=1, hours=21, minutes=5)
    wednesday_noon = monday + timedelta(days=2, hours=12)
    return {
        # Someone needs night-owl late on Tuesday: offhours lets it run for the grace period.
        tuesday_night.replace(minute=15): [start_by_hand("night-owl", tuesday_night)],
        # Alice stops her box at lunch on Wednesday: offhours does not start it again.
        wednesday_noon: [stop_by_hand("dev-alice")],
    }


def _clear(folder: Path) -> None:
    import shutil

    if folder.exists():
        shutil.rmtree(folder)


def print_report(result: DemoResult, stream: Any) -> None:
    hours_in_week = (result.week_end - result.week_start).total_seconds() / 3600
    w = stream.write
    w(
        f"offhours demo: {result.runs} runs every 15 minutes, "
        f"{result.week_start:%a %Y-%m-%d} to {result.week_end:%a %Y-%m-%d} (UTC), "
        f"{result.seconds:.1f} s\n\n"
    )
    header = (
        f"{'provider':<8} {'kind':<10} {'resource':<22} {'$/h':>8} {'hours off':>10} "
        f"{'saved $':>9} {'% saved':>8}\n"
    )
    w(header)
    w("-" * (len(header) - 1) + "\n")
    total_saved = 0.0
    total_cost = 0.0
    for item in result.savings:
        if item.hours_off <= 0 and not item.problems:
            continue
        price = f"{item.hourly_price:.4f}" if item.price_known else "unknown"
        pct = 100 * item.hours_off / hours_in_week
        w(
            f"{item.provider:<8} {item.kind:<10} {(item.name or item.resource_id)[:22]:<22} "
            f"{price:>8} {item.hours_off:>10.2f} {item.saved:>9.2f} {pct:>7.1f}%\n"
        )
        for problem in item.problems:
            w(f"{'':<8} problem: {problem}\n")
        total_saved += item.saved
        if item.hourly_price is not None:
            total_cost += item.hourly_price * hours_in_week
    pct_total = 100 * total_saved / total_cost if total_cost else 0.0
    w("-" * (len(header) - 1) + "\n")
    w(
        f"total saved this week: ${total_saved:,.2f} of ${total_cost:,.2f} "
        f"it would have cost running all week ({pct_total:.1f}% saved)\n"
    )
    w(f"ledger: {result.out / 'ledger'}\n")
