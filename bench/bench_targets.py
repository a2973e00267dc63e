"""Benchmark the fan-out over targets: M accounts x R regions, one reconcile run with
``max_workers=1`` against ``max_workers=8``.

Usage: .venv/bin/python bench/bench_targets.py [--grid 2x2,4x3,8x4] [--latency-ms 50]

A moto server on loopback (``ThreadedMotoServer``) holds a few tagged EC2 instances per
target. Every AWS call the job makes is delayed on the client side (a botocore
``before-send`` hook sleeping ``--latency-ms``), which is what makes a real run slow: it
waits on the network, one target after another unless targets run in parallel. Each
member account is entered by assuming a role, as in an Organizations deployment. Every
registered AWS kind discovers (most find nothing: their calls still cost a round trip).

Both runs act on the same state: the evening stop run, after which the instances are
started again directly (without latency) and the ledger starts empty.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROLE = "offhours-member"
REGIONS = ["eu-west-1", "us-east-1", "eu-central-1", "us-west-2", "ap-southeast-1", "eu-west-2"]
INSTANCES_PER_TARGET = 3
STOP_AT = datetime(2026, 11, 23, 19, 5, tzinfo=UTC)  # a Monday evening: office-hours off


@dataclass(frozen=True)
class Cell:
    accounts: tuple[str, ...]
    regions: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{len(self.accounts)}x{len(self.regions)}"


class Latency:
    """Sleeps before every request sent and counts them (thread-safe)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def hook(self, request: Any, **_: Any) -> None:
        operation = request.context.get("operation_name", "?") if request.context else "?"
        with self._lock:
            self.calls[operation] += 1
        time.sleep(self.seconds)

    def attach(self, connection: Any) -> None:
        original = connection.client
        hooked: set[int] = set()

        def client(service: str, target: Any) -> Any:
            made = original(service, target)
            if id(made) not in hooked:
                hooked.add(id(made))
                made.meta.events.register("before-send", self.hook)
            return made

        connection.client = client
        # Role assumption goes through the base session's own STS clients.
        connection.session.events.register("before-send", self.hook)


def member_session(endpoint: str, account: str, region: str) -> Any:
    import boto3

    sts = boto3.client("sts", region_name=region, endpoint_url=endpoint)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="bench")[
        "Credentials"
    ]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=region,
    )


def seed(endpoint: str, cell: Cell) -> None:
    for account in cell.accounts:
        for region in cell.regions:
            ec2 = member_session(endpoint, account, region).client("ec2", endpoint_url=endpoint)
            ec2.run_instances(
                ImageId="ami-12c6146b",
                MinCount=INSTANCES_PER_TARGET,
                MaxCount=INSTANCES_PER_TARGET,
                InstanceType="t3.medium",
                TagSpecifications=[
                    {
                        "ResourceType": "instance",
                        "Tags": [{"Key": "schedule", "Value": "office-hours"}],
                    }
                ],
            )


def restart_all(endpoint: str, cell: Cell) -> None:
    for account in cell.accounts:
        for region in cell.regions:
            ec2 = member_session(endpoint, account, region).client("ec2", endpoint_url=endpoint)
            pages = ec2.get_paginator("describe_instances").paginate()
            ids = [
                i["InstanceId"] for p in pages for r in p["Reservations"] for i in r["Instances"]
            ]
            ec2.start_instances(InstanceIds=ids)


def measure(endpoint: str, cell: Cell, workers: int, latency_ms: float) -> list[Run]:
    """Two stop runs with the same job: cold (every client and assumed-role session is
    created during the run, as in a fresh Lambda invocation) and warm (clients cached)."""
    import boto3

    from functions.settings import Settings
    from functions.wiring import build_job
    from providers.aws.connection import connect

    settings = Settings(
        providers=("aws",),
        aws_accounts=cell.accounts,
        aws_regions=cell.regions,
        aws_role_name=ROLE,
        aws_endpoint_url=endpoint,
        max_workers=workers,
    )
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=cell.regions[0]
    )
    connection = connect(settings.provider_config("aws"), session=session)
    latency = Latency(latency_ms / 1000)
    latency.attach(connection)
    runs = []
    for _ in ("cold", "warm"):
        ledger = tempfile.mkdtemp(prefix="offhours-bench-")
        job = build_job(
            settings.replace(ledger=ledger), lambda: STOP_AT, connections={"aws": connection}
        )
        runs.append(_timed(job, latency, cell))
        restart_all(endpoint, cell)
    return runs


@dataclass(frozen=True)
class Run:
    seconds: float
    calls: int


def _timed(job: Any, latency: Latency, cell: Cell) -> Run:
    from functions.reconcile import reconcile

    before = sum(latency.calls.values())
    began = time.perf_counter()
    report = reconcile(job, STOP_AT)
    seconds = time.perf_counter() - began
    stopped = sum(1 for r in report.results if r.outcome.value == "done")
    expected = len(cell.accounts) * len(cell.regions) * INSTANCES_PER_TARGET
    if report.errors or stopped != expected:
        raise SystemExit(f"unexpected run: {report.errors} stopped={stopped}/{expected}")
    return Run(seconds, sum(latency.calls.values()) - before)


def parse_grid(text: str) -> list[tuple[int, int]]:
    cells = []
    for item in text.split(","):
        accounts, _, regions = item.partition("x")
        cells.append((int(accounts), int(regions)))
    return cells


def main() -> None:
    import os

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", default="2x2,4x3,8x4", help="accounts x regions, comma-separated")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log per request

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    next_account = 200000000000
    print(
        f"offhours targets benchmark: {INSTANCES_PER_TARGET} instances per target, "
        f"{args.latency_ms:.0f} ms per AWS call, every AWS kind discovering\n"
    )
    w = args.workers
    print(
        f"{'MxR':>5} {'calls':>6} | {'cold 1w':>8} {f'cold {w}w':>8} {'speed-up':>8} "
        f"| {'warm 1w':>8} {f'warm {w}w':>8} {'speed-up':>8}"
    )
    try:
        for accounts, regions in parse_grid(args.grid):
            account_ids = tuple(str(next_account + i) for i in range(accounts))
            next_account += accounts
            cell = Cell(account_ids, tuple(REGIONS[:regions]))
            seed(endpoint, cell)
            cold1, warm1 = measure(endpoint, cell, 1, args.latency_ms)
            coldn, warmn = measure(endpoint, cell, w, args.latency_ms)
            print(
                f"{cell.label:>5} {cold1.calls:>6} | {cold1.seconds:>7.2f}s {coldn.seconds:>7.2f}s "
                f"{cold1.seconds / coldn.seconds:>7.1f}x | {warm1.seconds:>7.2f}s "
                f"{warmn.seconds:>7.2f}s {warm1.seconds / warmn.seconds:>7.1f}x"
            )
    finally:
        server.stop()
    print(f"\nledgers written under {Path(tempfile.gettempdir())}/offhours-bench-*")


if __name__ == "__main__":
    main()
