"""Benchmark one reconcile over a fleet of N EC2 instances on a moto server.

Usage: .venv/bin/python bench/bench_ec2.py --instances 2000

Starts ``moto_server`` on loopback in its own process (so this process measures only the
offhours client), seeds N instances (half tagged ``schedule=office-hours``, half
untagged), then runs the real job twice over HTTP: a stop run in the evening and a start
run the next morning. Prints, per run, the API calls by operation, this process's CPU
seconds, its peak resident memory and the wall time. moto itself is slow at thousands of
instances, so compare calls and client CPU, not wall time.
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ACCOUNT = "123456789012"
REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_moto(port: int) -> subprocess.Popen[bytes]:
    binary = Path(sys.executable).with_name("moto_server")
    process = subprocess.Popen(
        [str(binary), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("moto_server did not start")


def seed(endpoint: str, count: int) -> None:
    import boto3

    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=endpoint)
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

    from functions.reconcile import reconcile
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
    connection = connect(settings.provider_config("aws"), session=session)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    job = build_job(settings, lambda: at, connections={"aws": connection})
    report = reconcile(job, at)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    actions = Counter(f"{r.decision.action.value}:{r.outcome.value}" for r in report.results)
    return {
        "calls": dict(calls),
        "cpu": cpu,
        "wall": wall,
        "actions": dict(actions),
        "errors": report.errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=2000)
    parser.add_argument(
        "--kinds",
        default="ec2",
        help="AWS kinds to run (default ec2, as Custodian's policy); '' for every registered kind",
    )
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    server = start_moto(port)
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
                out = run_once(endpoint, ledger, at, kinds)
                total = sum(out["calls"].values())
                print(f"\n{name}: {out['actions']}")
                print(f"  API calls: {total} {out['calls']}")
                print(f"  client CPU: {out['cpu']:.2f} s   wall: {out['wall']:.1f} s")
                if out["errors"]:
                    print(f"  errors: {out['errors']}")
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\nclient peak RSS: {peak_mb:.0f} MB")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
