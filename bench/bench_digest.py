"""Benchmark: ``offhours digest --preview`` over a week's ledger of 1,000,000 rows.

The ledger is written the way the job writes it: one gzip JSON Lines object per run per
target (``ledger/v1/provider=…/account=…/date=…/<run>-<region>.jsonl.gz``), a run every
15 minutes for a week, 3 clouds x 10 accounts, plus the state objects of what is still
off at the end. Every resource is off 11 hours a day starting at its own quarter hour, so
every run writes a share of the rows: one stop row and one booking row per resource per
day, and a problem row for 1% of the resources.

The digest runs in a fresh child process and reports its own peak memory (``VmHWM``, see
``bench/meter.py``: ``getrusage`` would report the generating parent's high-water mark):
``python bench/bench_digest.py [--rows 1000000] [--dir /tmp/offhours-bench] [--keep]``.
Add ``--tracemalloc`` to also report the Python heap peak (slower).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from meter import peak_rss_mb  # noqa: E402

from ledger.book import encode, object_key, run_id_for  # noqa: E402
from ledger.record import Row, iso  # noqa: E402
from ledger.run_state import OffPeriod, TargetState, state_key  # noqa: E402
from providers.store import LocalStore  # noqa: E402

WEEK = "2026-W48"
MONDAY = datetime(2026, 11, 23, tzinfo=UTC)
STEP = timedelta(minutes=15)
OFF = timedelta(hours=11)
CLOUDS = {
    "aws": ("eu-west-1", "ec2", "m5.large", 0.107),
    "gcp": ("europe-west4", "instances", "n2-standard-4", 0.214),
    "azure": ("westeurope", "vms", "Standard_D4s_v5", 0.23),
}
TEAMS = ("web", "ml", "data", "platform", "search", "mobile", "payments", "infra")


def _base(provider: str, account: str, index: int) -> dict[str, Any]:
    region, kind, size, price = CLOUDS[provider]
    return Row(
        run_id="",
        recorded_at=MONDAY,
        provider=provider,
        account=account,
        region=region,
        kind=kind,
        resource_id=f"{provider}-{account}-{index:06d}",
        resource_name=f"dev-{index:06d}",
        size=size,
        service="bench",
        tags={"schedule": "office-hours", "team": TEAMS[index % len(TEAMS)], "env": "dev"},
        action="stop",
        outcome="done",
        reason="office-hours: off",
        schedule="office-hours",
        hourly_price=price * (1 + (index % 5) / 10),
        price_source="bundled:bench",
    ).to_dict()


def _events(slot: int) -> list[tuple[datetime, str, datetime]]:
    """(recorded at, action, off since) for one resource over the week."""
    events = []
    for day in range(-1, 7):
        stop = MONDAY + timedelta(days=day) + slot * STEP
        start = stop + OFF
        if stop >= MONDAY:
            events.append((stop, "stop", stop))
        if MONDAY <= start < MONDAY + timedelta(days=7):
            events.append((start, "start", stop))
    return events


def generate(folder: Path, rows: int) -> dict[str, Any]:
    store = LocalStore(folder)
    targets = [(p, f"{p}-acct-{a:02d}") for p in CLOUDS for a in range(10)]
    per_resource = 14
    resources = max(1, rows // per_resource)
    objects: dict[str, list[dict[str, Any]]] = defaultdict(list)
    states: dict[tuple[str, str], TargetState] = {t: TargetState() for t in targets}
    written = objects_written = 0
    end = MONDAY + timedelta(days=7)
    for index in range(resources):
        provider, account = targets[index % len(targets)]
        base = _base(provider, account, index)
        region = base["RegionId"]
        slot = (index // len(targets)) % 96
        for at, action, since in _events(slot):
            row = dict(base)
            stamp = iso(at)
            row["x_RecordedAt"] = stamp
            row["x_RunId"] = run_id_for(at)
            row["x_Action"] = action
            if action == "start":
                hours = (at - since).total_seconds() / 3600
                row["ChargePeriodStart"], row["ChargePeriodEnd"] = iso(since), stamp
                row["x_AvoidedHours"] = hours
                row["x_EstimatedSavings"] = round(hours * base["ListUnitPrice"], 6)
                row["x_Reason"] = "office-hours: on"
            else:
                row["ChargePeriodStart"] = row["ChargePeriodEnd"] = stamp
            objects[object_key(provider, account, region, at)].append(row)
            written += 1
        last_stop = max(e[0] for e in _events(slot) if e[1] == "stop")
        if last_stop + OFF > end:
            key = f"{provider}/{account}/{region}/{base['ResourceType']}/{base['ResourceId']}"
            states[(provider, account)].off[key] = OffPeriod(
                last_stop, base["ListUnitPrice"], "USD", "bundled:bench", "office-hours", "stop"
            )
        if index % 100 == 0:
            bad = dict(base)
            bad.update(x_Action="skip", x_Outcome="skipped", x_Reason="schedule 'mon-fry': bad")
            bad["x_RecordedAt"] = bad["ChargePeriodStart"] = bad["ChargePeriodEnd"] = iso(
                MONDAY + timedelta(hours=9)
            )
            objects[object_key(provider, account, region, MONDAY + timedelta(hours=9))].append(bad)
            written += 1
    for key, members in objects.items():
        store.put(key, encode(members))
        objects_written += 1
    for (provider, account), state in states.items():
        store.put(state_key(provider, account, CLOUDS[provider][0]), state.to_json())
    size = sum(p.stat().st_size for p in folder.rglob("*.gz"))
    return {"rows": written, "objects": objects_written, "resources": resources, "bytes": size}


CHILD = """
import sys, time, json
sys.path.insert(0, {root!r})
sys.path.insert(0, {bench!r})
trace = {trace!r}
if trace:
    import tracemalloc
    tracemalloc.start()
from meter import peak_rss_mb
from functions.cli.main import main
began, cpu = time.perf_counter(), time.process_time()
code = main(["digest", "--week", {week!r}, "--ledger", {ledger!r}, "--preview", {out!r},
             "--at", "2026-11-30T07:00:00+00:00", "--tz", "Europe/London"])
seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
peak = tracemalloc.get_traced_memory()[1] if trace else 0
print(json.dumps({{"code": code, "seconds": seconds, "cpu_seconds": cpu,
                  "peak_rss_mb": peak_rss_mb(), "tracemalloc_peak": peak}}))
"""


def measure(folder: Path, out: Path, trace: bool) -> dict[str, Any]:
    script = CHILD.format(
        root=str(ROOT),
        bench=str(ROOT / "bench"),
        trace=trace,
        week=WEEK,
        ledger=str(folder),
        out=str(out / "digest.html"),
    )
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - began
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_wall_seconds"] = wall
    result["digest_line"] = done.stdout.strip().splitlines()[0]
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/offhours-bench"))
    parser.add_argument("--keep", action="store_true", help="reuse an existing ledger")
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args()
    ledger = args.dir / "ledger"
    if not (args.keep and ledger.exists()):
        shutil.rmtree(args.dir, ignore_errors=True)
        began, cpu = time.perf_counter(), time.process_time()
        made = generate(ledger, args.rows)
        made["seconds"] = round(time.perf_counter() - began, 1)
        made["cpu_seconds"] = round(time.process_time() - cpu, 1)
        # The generator's own peak, printed so it is not mistaken for the digest's.
        made["peak_rss_mb"] = round(peak_rss_mb())
        print(f"generated: {json.dumps(made)}")
    result = measure(ledger, args.dir / "out", args.tracemalloc)
    print(result["digest_line"])
    print(
        f"digest --preview: {result['seconds']:.1f} s in the command, "
        f"{result['process_wall_seconds']:.1f} s with interpreter start; "
        f"CPU {result['cpu_seconds']:.1f} s; peak RSS {result['peak_rss_mb']:.0f} MB (the digest's "
        "own process)"
        + (
            f"; tracemalloc peak {result['tracemalloc_peak'] / 2**20:.0f} MB"
            if args.tracemalloc
            else ""
        )
    )
    # CPU seconds, not wall: on a shared machine the wall time is mostly waiting for a core.
    ok = result["code"] == 0 and result["cpu_seconds"] < 15 and result["peak_rss_mb"] < 300
    print("within budget (< 15 s CPU, < 300 MB)" if ok else "OVER BUDGET (< 15 s CPU, < 300 MB)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
