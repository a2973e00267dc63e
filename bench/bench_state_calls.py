"""Object-store calls of the scheduling run over a weekday, per run per target.

Usage: .venv/bin/python bench/bench_state_calls.py [--boxes 3] [--every 15] [--kinds ec2]

One target (moto's EC2, ``--boxes`` instances tagged ``schedule=office-hours``, UTC
08:00-19:00) and the ledger in moto's S3 (``S3Store``), in process. The real job runs
every ``--every`` minutes from Monday 08:00 to Tuesday 08:00 (the first run, which
creates the state object, is not counted). Every S3 request is counted where botocore
builds it (``before-parameter-build.s3.*``), by operation and by what the key (or a
LIST's prefix) is: the target's state object, a ledger object, a kind's own objects
(``kind=``: saved endpoint specs, remembered stop protection), or the run-wide objects
(deferred targets). ``--kinds ec2,sagemaker-endpoints`` adds the endpoints kind, whose
discovery lists its saved specs. Prints the counts for the day, per run, and what the
target's requests come to in a month for 852 targets at S3 Standard list prices
(us-east-1: PUT and LIST $0.005, GET $0.0004 per 1,000 requests).
"""

from __future__ import annotations

import argparse
import os
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)
BUCKET = "offhours-bench-ledger"
TARGETS = 852
PRICE = {"PutObject": 0.005 / 1000, "ListObjectsV2": 0.005 / 1000, "GetObject": 0.0004 / 1000}


class Clock:
    def __init__(self) -> None:
        self.now = MONDAY

    def __call__(self) -> datetime:
        return self.now


def _counter(calls: Counter[tuple[str, str]]) -> Any:
    def count(params: dict[str, Any], model: Any, **_: Any) -> None:
        key = str(params.get("Key", params.get("Prefix", "")))
        calls[(model.name, _what(key))] += 1

    return count


def _what(key: str) -> str:
    if key.startswith("ledger/"):
        return "ledger"
    if key.endswith("run-state.json"):
        return "state"
    return "kind" if "/kind=" in key else "run-wide"


def day(boxes: int, every: int, kinds: tuple[str, ...]) -> tuple[int, Counter[tuple[str, str]]]:
    import boto3
    from moto import mock_aws

    from functions.jobs.reconcile import reconcile
    from functions.settings import Settings
    from functions.wiring import build_job, connect
    from providers.aws.s3_store import S3Store
    from sandbox.aws_fleet import Box, launch, set_launch_time

    calls: Counter[tuple[str, str]] = Counter()
    with mock_aws():
        s3 = boto3.client("s3", region_name="eu-west-1")
        s3.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        s3.meta.events.register("before-parameter-build.s3.*", _counter(calls))
        ec2 = boto3.client("ec2", region_name="eu-west-1")
        for i in range(boxes):
            box = Box(f"dev-{i}", "t3.medium", {"schedule": "office-hours"})
            set_launch_time(launch(ec2, box), MONDAY - timedelta(days=3))
        settings = Settings(providers=("aws",), ledger=f"s3://{BUCKET}")
        settings = settings.replace(aws_regions=("eu-west-1",), kinds=kinds)
        clock = Clock()
        store = S3Store(f"s3://{BUCKET}", client=s3)
        job = build_job(settings, clock, {"aws": connect(settings, "aws")}, store=store)
        job = replace(job, max_workers=1)
        runs = 24 * 60 // every
        for step in range(runs + 1):
            clock.now = MONDAY + timedelta(hours=8, minutes=every * step)
            if step == 1:
                calls.clear()  # the first run creates the state object
            report = reconcile(job)
            if report.errors:
                raise SystemExit(f"run at {clock.now}: {report.errors}")
    return runs, calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--boxes", type=int, default=3)
    parser.add_argument("--every", type=int, default=15, help="minutes between runs")
    parser.add_argument("--kinds", default="ec2", help="kinds, comma-separated")
    args = parser.parse_args()
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        os.environ.setdefault(name, value)
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    runs, calls = day(args.boxes, args.every, tuple(args.kinds.split(",")))
    print(f"{runs} runs, one target, {args.boxes} office-hours boxes")
    month = 0.0
    for (operation, what), count in sorted(calls.items()):
        print(f"  {operation:10} {what:9} {count:5}   {count / runs:.3f} per run")
        if what != "run-wide":
            month += count * 30 * TARGETS * PRICE.get(operation, 0.0)
    print(f"a target's requests, {TARGETS} targets, 30 days: ${month:.2f}")


if __name__ == "__main__":
    main()
