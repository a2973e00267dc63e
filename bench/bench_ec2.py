"""Benchmark one reconcile over a fleet of N EC2 instances on a moto server.

Usage: .venv/bin/python bench/bench_ec2.py --instances 200,2000,10000

For each fleet size, starts a moto server on loopback in its own process (so this
process measures only the offhours client) with N instances, half tagged
``schedule=office-hours`` and half untagged, then runs the real job twice over HTTP: a
stop run in the evening and a start run the next morning. Prints, per run, the API calls
by operation, the measured process's CPU seconds, its resident memory when the run began
and its peak, and the wall time. The first size is the base figure: each later size's
peak is printed as a multiple of it. moto itself is slow at thousands of instances, so
compare calls, client CPU and memory, not wall time.

Each run is measured in a fresh child process, so the peak RSS printed is that run's own
(the first run does not raise the second's). The stop run is the day's first, so it
also takes the daily inventory (every running instance, tagged or not); the start run
only checks when the inventory was taken. ``--no-inventory`` marks it taken beforehand,
to measure the scheduling path alone. ``--top N`` also traces the run's Python
allocations (slower) and prints the N largest held near the traced peak.

The moto server is patched, inside this benchmark only (``MOTO``), because stock moto
5.2 takes minutes per call at 10,000 instances. What moto answers is unchanged:

- an EC2 resource's tags are read from moto's tag table by resource id (stock moto scans
  every tag of the fleet for each instance it describes or filters);
- an instance's image is looked up by id (stock moto filters all ~1,300 bundled AMIs,
  with ``fnmatch``, for every instance it launches);
- an instance is found by id newest reservation first (stock moto lists every instance
  of the fleet each time it attaches a new instance's root volume);
- the fleet is launched inside the server process before it serves (``seed``), one
  instance per reservation, as instances launched one at a time are: DescribeInstances
  pages count reservations, so this is the fleet shape whose pages hold 1,000
  instances. Launching 10,000 over HTTP took minutes of the server's XML rendering.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from meter import Meter, free_port, peak_rss_mb, start_moto

ACCOUNT = "123456789012"
REGION = "us-east-1"


MOTO = """
import sys
from moto.ec2.exceptions import InvalidInstanceIdError
from moto.ec2.models import ec2_backends
from moto.ec2.models.amis import AmiBackend
from moto.ec2.models.core import TaggedEC2Resource
from moto.ec2.models.instances import InstanceBackend
from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix
from moto.server import main

ACCOUNT, REGION = "123456789012", "us-east-1"


def get_tags(self):
    # Stock moto filters every tag of the fleet by resource id; read this resource's own.
    if not self.id:
        return []
    kind = EC2_PREFIX_TO_RESOURCE.get(get_prefix(self.id), "")
    own = self.ec2_backend.tags.get(self.id, {})
    return [
        {"resource_id": self.id, "key": k, "value": v, "resource_type": kind}
        for k, v in own.items()
    ]


stock_describe_images = AmiBackend.describe_images


def describe_images(self, ami_ids=None, filters=None, exec_users=None, owners=None):
    # Stock moto fnmatches every AMI against the id when it launches each instance.
    if not (ami_ids or exec_users or owners) and filters and list(filters) == ["image-id"]:
        wanted = filters["image-id"]
        wanted = [wanted] if isinstance(wanted, str) else list(wanted)
        if all(i in self.amis for i in wanted):
            return [self.amis[i] for i in wanted]
    return stock_describe_images(self, ami_ids, filters, exec_users, owners)


def get_instance(self, instance_id):
    # Newest first: a new instance's root volume is attached right after its launch.
    for reservation in reversed(self.reservations.values()):
        for instance in reservation.instances:
            if instance.id == instance_id:
                return instance
    raise InvalidInstanceIdError(instance_id)


def seed(count):
    backend = ec2_backends[ACCOUNT][REGION]
    for n in range(count):
        tags = {"instance": {"schedule": "office-hours"}} if n < count // 2 else {}
        backend.run_instances(
            "ami-12c6146b", 1, None, [],
            instance_type="t3.medium", is_instance_type_default=False,
            region_name=REGION, tags=tags,
        )


TaggedEC2Resource.get_tags = get_tags
AmiBackend.describe_images = describe_images
InstanceBackend.get_instance = get_instance
seed(int(sys.argv[2]))
main(["-H", "127.0.0.1", "-p", sys.argv[1]])
"""


def run_once(
    endpoint: str, ledger: str, at: datetime, kinds: tuple[str, ...], top: int
) -> dict[str, Any]:
    import boto3

    from functions.jobs.reconcile import reconcile
    from functions.settings import Settings
    from functions.wiring import build_job
    from providers.aws.connection import connect

    session = boto3.Session(region_name=REGION)
    calls: Counter[str] = Counter()
    session.events.register(
        "before-call",
        lambda model, **_: calls.update([model.name]),  # type: ignore[misc]
    )
    settings = Settings(providers=("aws",), ledger=ledger, kinds=kinds).replace(
        aws_regions=(REGION,), aws_accounts=(ACCOUNT,), aws_endpoint_url=endpoint
    )
    start_mb = peak_rss_mb()
    watch = _PeakWatch() if top else None
    with Meter() as meter:
        connection = connect(settings.provider_config("aws"), session=session)
        job = build_job(settings, lambda: at, connections={"aws": connection})
        report = reconcile(job)
        actions = Counter(f"{r.decision.action.value}:{r.outcome.value}" for r in report.results)
    held = watch.report(top) if watch else []
    return {
        "calls": dict(calls),
        "cpu": meter.cpu,
        "wall": meter.wall,
        "start_mb": start_mb,
        "peak_mb": meter.peak_mb,
        "actions": dict(actions),
        "errors": report.errors,
        "held": held,
    }


class _PeakWatch:
    """Traces Python allocations and keeps a snapshot taken near the traced peak: a
    thread looks every 20 ms and snapshots again whenever the traced total passed the
    last snapshot's by 1 MB. What it shows is what was held when memory was highest."""

    def __init__(self) -> None:
        import threading
        import tracemalloc

        tracemalloc.start()
        self._snapshot: Any = None
        self._at = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        import tracemalloc

        while not self._done.wait(0.02):
            current, _ = tracemalloc.get_traced_memory()
            if current > self._at + 2**20:
                self._at = current
                self._snapshot = tracemalloc.take_snapshot()

    def report(self, top: int) -> list[str]:
        import tracemalloc

        self._done.set()
        self._thread.join()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        lines = [f"traced peak {peak / 2**20:.1f} MB; held at {self._at / 2**20:.1f} MB:"]
        if self._snapshot is not None:
            stats = self._snapshot.statistics("lineno")[:top]
            lines += [f"  {s.size / 2**20:7.2f} MB {s.count:8d}  {s.traceback}" for s in stats]
        return lines


def run_child(
    endpoint: str, ledger: str, at: datetime, kinds: tuple[str, ...], top: int
) -> dict[str, Any]:
    spec = json.dumps(
        {
            "endpoint": endpoint,
            "ledger": ledger,
            "at": at.isoformat(),
            "kinds": list(kinds),
            "top": top,
        }
    )
    done = subprocess.run(
        [sys.executable, __file__, "--child", spec], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"run failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _inventory_taken(ledger: str, at: datetime) -> None:
    """Mark the daily inventory as taken at ``at`` (an empty snapshot): the runs then
    measure the scheduling path alone, as every run of the day but the first does."""
    from functions.jobs.inventory import snapshot_of
    from functions.wiring import open_store
    from ledger.inventory import write_inventory
    from providers.base import Target

    write_inventory(open_store(ledger), snapshot_of(Target("aws", ACCOUNT, REGION), [], at))


def bench_fleet(
    count: int, kinds: tuple[str, ...], top: int, inventory: bool = True
) -> list[dict[str, Any]]:
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    t0 = time.perf_counter()
    server = start_moto(port, MOTO, (str(count),), timeout=60 + count * 0.1)
    print(f"\n== {count} instances (seeded in {time.perf_counter() - t0:.1f} s)")
    outs = []
    try:
        with tempfile.TemporaryDirectory() as ledger:
            runs = {
                "stop run (Mon 20:00 UTC)": datetime(2026, 11, 23, 20, 0, tzinfo=UTC),
                "start run (Tue 08:15 UTC)": datetime(2026, 11, 24, 8, 15, tzinfo=UTC),
            }
            if not inventory:
                _inventory_taken(ledger, min(runs.values()))
            for name, at in runs.items():
                out = run_child(endpoint, ledger, at, kinds, top)
                out["name"] = name
                outs.append(out)
                total = sum(out["calls"].values())
                print(f"{name}: {out['actions']}")
                print(f"  API calls: {total} {out['calls']}")
                print(
                    f"  client CPU: {out['cpu']:.2f} s   wall: {out['wall']:.1f} s   "
                    f"RSS at start: {out['start_mb']:.0f} MB   peak RSS: {out['peak_mb']:.0f} MB"
                )
                for line in out["held"]:
                    print(f"  {line}")
                if out["errors"]:
                    print(f"  errors: {out['errors']}")
    finally:
        server.kill()
        server.wait()
    return outs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--instances", default="2000", help="fleet sizes, comma-separated; the first is the base"
    )
    parser.add_argument(
        "--kinds",
        default="ec2",
        help="AWS kinds to run (default ec2, as Custodian's policy); '' for every registered kind",
    )
    parser.add_argument("--top", type=int, default=0, help="trace allocations: print the N largest")
    parser.add_argument(
        "--no-inventory",
        action="store_true",
        help="mark the daily inventory as taken: measure the scheduling path alone",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    if args.child:
        spec = json.loads(args.child)
        at = datetime.fromisoformat(spec["at"])
        out = run_once(spec["endpoint"], spec["ledger"], at, tuple(spec["kinds"]), spec["top"])
        print(json.dumps(out))
        return
    kinds = tuple(k for k in args.kinds.split(",") if k)
    sizes = [int(n) for n in args.instances.split(",")]
    figures = {count: bench_fleet(count, kinds, args.top, not args.no_inventory) for count in sizes}
    base = sizes[0]
    print("\nsummary (peak RSS as a multiple of the first size's, same run):")
    for count, outs in figures.items():
        for out, first in zip(outs, figures[base], strict=True):
            ratio = out["peak_mb"] / first["peak_mb"]
            print(
                f"  {count:>6} instances, {out['name']:<26} calls {sum(out['calls'].values()):>5}"
                f"  CPU {out['cpu']:6.2f} s  wall {out['wall']:6.1f} s"
                f"  peak {out['peak_mb']:5.0f} MB ({ratio:.2f}x)"
            )


if __name__ == "__main__":
    main()
