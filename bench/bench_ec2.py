"""Benchmark one reconcile over a fleet of N EC2 instances on a moto server.

Usage: .venv/bin/python bench/bench_ec2.py --instances 2000

Starts ``moto_server`` on loopback in its own process (so this process measures only the
offhours client), seeds N instances (half tagged ``schedule=office-hours``, half
untagged), then runs the real job twice over HTTP: a stop run in the evening and a start
run the next morning. Prints, per run, the API calls by operation, this process's CPU
seconds, its peak resident memory and the wall time. moto itself is slow at thousands of
instances, so compare calls and client CPU, not wall time.

Each run is measured in a fresh child process, so the peak RSS printed is that run's own
(the generator of the fleet and the first run do not raise the second's).

``--fast-moto`` starts the moto server with one change, inside this benchmark only: an
EC2 resource's tags are read from moto's tag table by resource id, where stock moto 5.2
scans every tag of the fleet for each instance (minutes per DescribeInstances at 10,000
instances). What moto answers is unchanged.
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

from meter import Meter, free_port, start_moto

ACCOUNT = "123456789012"
REGION = "us-east-1"


FAST_MOTO = """
import sys
from moto.ec2.models.core import TaggedEC2Resource
from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix
from moto.server import main


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


TaggedEC2Resource.get_tags = get_tags
main(["-H", "127.0.0.1", "-p", sys.argv[1]])
"""


def seed(endpoint: str, count: int) -> None:
    import boto3
    from botocore.config import Config

    # moto takes its time launching 500 instances at once: wait for it.
    slow = Config(read_timeout=900, retries={"max_attempts": 1})
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=endpoint, config=slow)
    tagged = count // 2
    for offset in range(0, count, 500):
        n = min(500, count - offset)
        tags_for = "office-hours" if offset < tagged else None
        spec = [{"ResourceType": "instance", "Tags": [{"Key": "schedule", "Value": tags_for}]}]
        ec2.run_instances(
            ImageId="ami-12c6146b",
            MinCount=n,
            MaxCount=n,
            InstanceType="t3.medium",
            TagSpecifications=spec if tags_for else [],
        )


def run_once(endpoint: str, ledger: str, at: datetime, kinds: tuple[str, ...]) -> dict[str, Any]:
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
    settings = Settings(
        providers=("aws",),
        ledger=ledger,
        aws_regions=(REGION,),
        aws_accounts=(ACCOUNT,),
        aws_endpoint_url=endpoint,
        kinds=kinds,
    )
    with Meter() as meter:
        connection = connect(settings.provider_config("aws"), session=session)
        job = build_job(settings, lambda: at, connections={"aws": connection})
        report = reconcile(job, at)
        actions = Counter(f"{r.decision.action.value}:{r.outcome.value}" for r in report.results)
    return {
        "calls": dict(calls),
        "cpu": meter.cpu,
        "wall": meter.wall,
        "peak_mb": meter.peak_mb,
        "actions": dict(actions),
        "errors": report.errors,
    }


def run_child(endpoint: str, ledger: str, at: datetime, kinds: tuple[str, ...]) -> dict[str, Any]:
    spec = json.dumps(
        {"endpoint": endpoint, "ledger": ledger, "at": at.isoformat(), "kinds": list(kinds)}
    )
    done = subprocess.run(
        [sys.executable, __file__, "--child", spec], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"run failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=2000)
    parser.add_argument(
        "--kinds",
        default="ec2",
        help="AWS kinds to run (default ec2, as Custodian's policy); '' for every registered kind",
    )
    parser.add_argument("--fast-moto", action="store_true", help="patch moto's tag lookup")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    if args.child:
        spec = json.loads(args.child)
        at = datetime.fromisoformat(spec["at"])
        print(json.dumps(run_once(spec["endpoint"], spec["ledger"], at, tuple(spec["kinds"]))))
        return
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = start_moto(port, FAST_MOTO if args.fast_moto else None)
    try:
        t0 = time.perf_counter()
        seed(endpoint, args.instances)
        print(f"seeded {args.instances} instances in {time.perf_counter() - t0:.1f} s")
        with tempfile.TemporaryDirectory() as ledger:
            runs = {
                "stop run (Mon 20:00 UTC)": datetime(2026, 11, 23, 20, 0, tzinfo=UTC),
                "start run (Tue 08:15 UTC)": datetime(2026, 11, 24, 8, 15, tzinfo=UTC),
            }
            for name, at in runs.items():
                kinds = tuple(k for k in args.kinds.split(",") if k)
                out = run_child(endpoint, ledger, at, kinds)
                total = sum(out["calls"].values())
                print(f"\n{name}: {out['actions']}")
                print(f"  API calls: {total} {out['calls']}")
                print(
                    f"  client CPU: {out['cpu']:.2f} s   wall: {out['wall']:.1f} s   "
                    f"peak RSS: {out['peak_mb']:.0f} MB"
                )
                if out["errors"]:
                    print(f"  errors: {out['errors']}")
    finally:
        server.kill()
        server.wait()


if __name__ == "__main__":
    main()
