"""``offhours demo``: the real reconcile job on the embedded clouds, through a simulated week.

Each cloud is a world from ``sandbox/worlds.py``: moto in-process for AWS, local fakes on
loopback for GCP and Azure, each seeded with a small fleet. A simulated clock steps every
15 minutes from Monday 00:00 to the next Monday; at a few moments a "person" acts (starts
a box at night, stops one during the day) so the grace period and the start-side rules
show. Clouds are independent targets, so each simulates its week in its own process, as
targets fan out in production. The ledger is written to ``<out>/ledger`` on local disk
and the week's savings are printed from the ledger alone.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from functions.cli.demo_windows import order_lines, window_lines, write_lines
from functions.settings import Settings
from ledger.book import read_records
from ledger.record import SNOOZE_ACTION
from ledger.summary import ResourceSavings, window_summary
from providers import clouds as registered_clouds
from providers.store import LocalStore

DEFAULT_WEEK = "2026-11-16"  # a Monday; the demo is deterministic
STEP = timedelta(minutes=15)
DEMO_TZ = "Europe/London"
# When the daily inventory runs (UTC), as the deployments' default schedules say.
INVENTORY_AT = (5, 30)
PROVIDERS = registered_clouds()
# Where the demo's teams are told before a stop; the notices land in <out>/notices.
DEMO_CHANNELS = (
    "web=email:web-team@example.com",
    "web=slack:https://hooks.slack.example/services/web",
    "ml=teams:https://teams.example/webhooks/ml",
    "data=json:https://hooks.example/offhours/data",
    "platform=email:platform-team@example.com",
)


@dataclass
class DemoResult:
    out: Path
    week_start: datetime
    week_end: datetime
    runs: int
    savings: list[ResourceSavings]
    seconds: float = 0.0
    digest: list[Path] = field(default_factory=list)
    notices: list[Path] = field(default_factory=list)
    # The week's snooze rows (x_Action=snooze): kept running by request, a cost.
    snoozes: list[dict[str, Any]] = field(default_factory=list)
    # Scheduled resources the clouds' adapters refused at plan time, and why.
    left_alone: list[LeftAlone] = field(default_factory=list)
    # The week's stops by the idle rule (x_Trigger=idle), with the measurement.
    idle_stops: list[dict[str, Any]] = field(default_factory=list)
    # What maintenance windows and the start order did (functions/cli/demo_windows.py).
    windows: list[str] = field(default_factory=list)


@dataclass(frozen=True, order=True)
class LeftAlone:
    provider: str
    kind: str
    name: str
    reason: str


@dataclass
class Week:
    """What one cloud's simulated week returns to the report."""

    runs: int
    left_alone: list[LeftAlone] = field(default_factory=list)


class SimClock:
    """The demo's clock: the job, the adapters and the fakes all read it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def register(subparsers: Any) -> None:
    demo = subparsers.add_parser("demo", help="run a simulated week on the embedded clouds")
    demo.add_argument("--out", default="demo-out", help="output folder (default: demo-out)")
    demo.add_argument("--week", default=DEFAULT_WEEK, help="the Monday to start on (YYYY-MM-DD)")
    demo.add_argument(
        "--provider",
        action="append",
        choices=PROVIDERS,
        help="only these clouds (repeatable; default: all)",
    )
    demo.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace) -> int:
    monday = datetime.fromisoformat(args.week).replace(tzinfo=UTC)
    result = run_demo(Path(args.out), monday, tuple(args.provider or PROVIDERS))
    print_report(result, sys.stdout)
    return 0


def week_steps(start: datetime, end: datetime) -> Iterator[datetime]:
    at = start
    while at <= end:
        yield at
        at += STEP


def run_demo(out: Path, monday: datetime, providers: tuple[str, ...] = PROVIDERS) -> DemoResult:
    began = time.perf_counter()
    ledger_dir = out / "ledger"
    if ledger_dir.exists():
        shutil.rmtree(ledger_dir)
    ledger_dir.mkdir(parents=True)
    shutil.rmtree(out / "notices", ignore_errors=True)
    end = monday + timedelta(days=7)
    # fork: the children inherit the imported code and need no pickling of the worlds.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        futures = [pool.submit(simulate, p, ledger_dir, monday, end) for p in providers]
        weeks = [future.result() for future in futures]
    runs = max(week.runs for week in weeks)
    left_alone = sorted(item for week in weeks for item in week.left_alone)
    notices = sorted((out / "notices").glob("*"))
    from functions.jobs.digest import render_digest

    store = LocalStore(ledger_dir)
    savings = window_summary(store, monday, end)
    digest = render_digest(store, monday, end, out, now=end)
    rows = list(read_records(store))
    snoozes = [r for r in rows if r["x_Action"] == SNOOZE_ACTION]
    idle_stops = sorted(
        (r for r in rows if r.get("x_Trigger") == "idle" and r["x_Action"] == "stop"),
        key=lambda r: (r["ProviderName"], r["x_RecordedAt"]),
    )
    windows = window_lines(rows) + order_lines(rows)
    seconds = time.perf_counter() - began
    return DemoResult(
        out,
        monday,
        end,
        runs,
        savings,
        seconds,
        digest,
        notices,
        snoozes,
        left_alone,
        idle_stops,
        windows,
    )


def simulate(provider: str, ledger_dir: Path, monday: datetime, end: datetime) -> Week:
    """One cloud's week: every 15 minutes, what people did, then one scheduled run; once a
    day, the inventory the digest finds its opportunities in."""
    from functions.jobs.inventory import take_inventory
    from functions.jobs.reconcile import reconcile
    from functions.jobs.run_calls import book_run_calls
    from functions.wiring import build_job, connect
    from providers.metering import Meter
    from sandbox.worlds import WORLDS

    clock = SimClock(monday)
    runs = 0
    left_alone: dict[str, LeftAlone] = {}
    with WORLDS[provider](clock, monday) as world:
        settings = Settings(providers=(provider,), ledger=str(ledger_dir), default_tz=DEMO_TZ)
        settings = settings.replace(**world.settings)
        connections = {provider: connect(settings, provider)}
        meter = Meter()  # each run's billable calls, kept for the digest's own-cost line
        store = LocalStore(ledger_dir)
        job = build_job(settings, clock, connections=connections, store=store, meter=meter)
        notices = _demo_notices(settings, clock, ledger_dir.parent / "notices", _demo_links())
        job = replace(job, notices=notices)
        if provider == "aws":
            step = _snooze_step(clock, LocalStore(ledger_dir), ledger_dir.parent / "snooze")
            world.events.setdefault(monday + SNOOZE_AT, []).append(step)
        for at in week_steps(monday, end):
            clock.now = at
            for event in world.events.get(at, []):
                event()
            report = reconcile(job)
            book_run_calls(job.store, meter, report.run_id, at, {}, save=True)
            meter.clear()
            runs += 1
            left_alone.update(_left_alone(report.decisions))
            if (at.hour, at.minute) == INVENTORY_AT:
                take_inventory(job, at)
    return Week(runs, list(left_alone.values()))


def _left_alone(decisions: Any) -> dict[str, LeftAlone]:
    """The resources an adapter marked unmanaged, by key (the latest reason wins)."""
    return {
        d.resource.key: LeftAlone(
            d.resource.provider, d.resource.kind, d.resource.name, d.resource.unmanaged_reason
        )
        for d in decisions
        if d.resource.unmanaged_reason
    }


def _demo_links() -> Any:
    """The links every demo notice carries, signed with the demo's key (deterministic)."""
    from functions.jobs.snooze.links import link_maker

    counter = iter(range(1_000_000))
    return link_maker(SNOOZE_URL, SNOOZE_KEY, nonce=lambda: f"demo-{next(counter):017d}")


def _demo_notices(settings: Settings, clock: SimClock, folder: Path, links: Any) -> Any:
    """The real notice step, with senders that write to ``folder`` instead of sending."""
    from functions.jobs.notices import build_step
    from functions.jobs.notices.outbox import OutboxMail, OutboxPoster

    settings = settings.replace(notice_channels=DEMO_CHANNELS, notice_secret="demo-secret")
    return build_step(
        settings,
        mail=OutboxMail(folder, clock),
        poster=OutboxPoster(folder, clock),
        wall=lambda: clock().timestamp(),  # deterministic signed bodies
        links=links,
    )


# Thursday 18:45, before dev-alice's 19:00 stop: Alice follows her notice's link.
SNOOZE_AT = timedelta(days=3, hours=18, minutes=45)
SNOOZE_BOX = "dev-alice"
# The demo's snooze function and its signing key (a real deployment reads the key from
# its secret store; this one only signs links to a host that does not exist).
SNOOZE_URL = "https://snooze.demo.invalid"
SNOOZE_KEY = b"offhours-demo-snooze-key-not-secret-32b"


def _snooze_step(clock: SimClock, store: LocalStore, pages: Path) -> Callable[[], None]:
    """Alice opens the "keep running 2 h" link of her notice and presses the button: two
    function URL events through the snooze Lambda's handler, against the demo's moto."""

    def act() -> None:
        from urllib.parse import urlsplit

        import boto3

        import providers
        import schedules
        from functions.clouds.aws_snooze import respond
        from functions.jobs.snooze.handler import SnoozeService
        from functions.jobs.snooze.links import link_maker
        from sandbox.aws_fleet import DEMO_ACCOUNT, DEMO_REGION

        ec2 = boto3.client("ec2", region_name=DEMO_REGION)
        found = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": [SNOOZE_BOX]}])[
            "Reservations"
        ][0]["Instances"][0]
        # Through its "module:attribute" string, as the other clouds' artefacts need.
        desk = providers.load("providers.aws.override_tag:AwsOverrideDesk")(
            lambda s, r: boto3.client(s, region_name=r), DEMO_ACCOUNT
        )
        key = SNOOZE_KEY
        service = SnoozeService(key, store, desk, clock, schedules.load_catalog(default_tz=DEMO_TZ))
        box = desk.read(DEMO_ACCOUNT, DEMO_REGION, "ec2", found["InstanceId"])
        stop = clock().replace(hour=19, minute=0)
        links = link_maker(SNOOZE_URL, key, recipient_of=lambda r: "alice@example.com")
        _, url = links(box, stop)[1]  # keep running 2 h
        query = urlsplit(url).query
        pages.mkdir(parents=True, exist_ok=True)
        for method, name in (("GET", "confirm.html"), ("POST", "done.html")):
            answer = respond(_url_event(method, query), service)
            if answer["statusCode"] != 200:
                raise RuntimeError(f"demo snooze {method}: {answer['statusCode']}")
            (pages / name).write_text(answer["body"])

    return act


def _url_event(method: str, query: str) -> dict[str, Any]:
    """A Lambda function URL event (payload format 2.0), as a browser's request arrives."""
    body = "confirm=yes" if method == "POST" else ""
    return {
        "version": "2.0",
        "rawPath": "/",
        "rawQueryString": query,
        "headers": {"content-type": "application/x-www-form-urlencoded"},
        "requestContext": {"http": {"method": method, "path": "/"}},
        "body": body,
        "isBase64Encoded": False,
    }


def print_report(result: DemoResult, stream: Any) -> None:
    hours_in_week = (result.week_end - result.week_start).total_seconds() / 3600
    w = stream.write
    w(
        f"offhours demo: {result.runs} runs every 15 minutes per cloud, "
        f"{result.week_start:%a %Y-%m-%d} to {result.week_end:%a %Y-%m-%d} (UTC), "
        f"{result.seconds:.1f} s\n\n"
    )
    header = (
        f"{'provider':<8} {'kind':<19} {'resource':<24} {'$/h':>8} {'hours off':>10} "
        f"{'saved $':>9} {'% saved':>8}\n"
    )
    rule = "-" * (len(header) - 1) + "\n"
    w(header + rule)
    total_saved = total_cost = 0.0
    for item in result.savings:
        if item.hours_off <= 0 and not item.problems:
            continue
        price = f"{item.hourly_price:.4f}" if item.price_known else "unknown"
        pct = 100 * item.hours_off / hours_in_week
        w(
            f"{item.provider:<8} {item.kind:<19} {(item.name or item.resource_id)[:24]:<24} "
            f"{price:>8} {item.hours_off:>10.2f} {item.saved:>9.2f} {pct:>7.1f}%\n"
        )
        for problem in item.problems:
            w(f"{'':<8} problem: {problem.split(';')[0]}\n")
        total_saved += item.saved
        # Like the digest: "would have cost" covers what offhours scheduled off.
        if item.hourly_price is not None and item.hours_off > 0:
            total_cost += item.hourly_price * hours_in_week
    pct_total = 100 * total_saved / total_cost if total_cost else 0.0
    w(rule)
    for provider in sorted({s.provider for s in result.savings}):
        saved = sum(s.saved for s in result.savings if s.provider == provider)
        w(f"{provider:<8} saved ${saved:,.2f}\n")
    w(
        f"total saved this week: ${total_saved:,.2f} of ${total_cost:,.2f} the scheduled "
        f"resources would have cost running all week ({pct_total:.1f}% saved)\n"
    )
    _print_left_alone(result.left_alone, w)
    for row in result.snoozes:
        cost = row["x_KeptRunningCost"]
        w(
            f"kept running by request: {row['ResourceName']} until "
            f"{row['ChargePeriodEnd']} ({row['x_Detail']}, "
            f"{'unknown cost' if cost is None else f'${cost:,.2f} at list price'})\n"
        )
    for row in result.idle_stops:
        w(f"stopped as idle: {row['ResourceName']} at {row['x_RecordedAt']}: {row['x_Reason']}\n")
    write_lines(result.windows, w)
    w(f"ledger: {result.out / 'ledger'}\n")
    for path in result.digest[:2]:
        w(f"digest: {path}\n")
    if result.notices:
        mails = sum(1 for p in result.notices if p.suffix == ".eml")
        w(
            f"notices: {result.out / 'notices'} ({mails} emails, "
            f"{len(result.notices) - mails} webhook bodies, sent before each stop)\n"
        )


def _print_left_alone(left_alone: list[LeftAlone], w: Callable[[str], Any]) -> None:
    """Scheduled resources offhours did not touch, with the adapter's reason; resources
    left alone for the same reason (the members of one group) share a line."""
    if left_alone:
        w("left alone (the cloud cannot stop these, or another kind schedules them):\n")
    same: dict[tuple[str, str, str], list[str]] = {}
    for alone in left_alone:
        same.setdefault((alone.provider, alone.kind, alone.reason), []).append(alone.name)
    for (provider, kind, reason), names in same.items():
        name = names[0] if len(names) == 1 else f"{len(names)} resources"
        w(f"{provider:<8} {kind:<19} {name[:24]:<24} {reason}\n")
