"""A run's billable calls, as ``offhours run -o json`` reports them, are the calls AWS saw.

The real console script against moto through the suite's proxy, which records every
request it forwards (tests/faults/README.md). S3 requests are told apart as S3 bills
them (Amazon S3 API Reference: ``GET /bucket?list-type=2`` is ListObjectsV2, ``GET`` and
``PUT`` on a key are GetObject and PutObject, conditional or not); CloudWatch's as the
CloudWatch API 2010-08-01 names them (``ListMetrics``, ``GetMetricData``, billed per
metric requested). The counts kept in the run's object are the ones printed.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import boto3
from kit import FRIDAY, PREFIX, REGION, Box, World, _creds, at, fleet
from proxy import Call

from sandbox.aws_gpu import put_cpu_utilisation

WEDNESDAY = FRIDAY - timedelta(days=2)


def run_json(w: World, when: datetime) -> tuple[dict[str, Any], list[Call]]:
    """``offhours run -o json --at when``; its report and every call the proxy forwarded."""
    w.proxy.reset()
    command = w.command(when, "-o", "json")
    done = subprocess.run(
        command, env=w.env(), capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), list(w.proxy.calls)


def s3_seen(calls: list[Call]) -> dict[str, int]:
    kinds: Counter[str] = Counter()
    for call in (c for c in calls if c.service == "s3"):
        if call.operation == "GET":
            kinds["store_lists" if call.key == "" else "store_reads"] += 1
        elif call.operation == "HEAD":
            kinds["store_reads"] += 1
        elif call.operation in ("PUT", "POST"):
            kinds["store_writes"] += 1
        elif call.operation == "DELETE":
            kinds["store_deletes"] += 1
    return dict(kinds)


def counted(report: dict[str, Any], *names: str) -> dict[str, int]:
    return {n: report["calls"][n] for n in names if report["calls"].get(n)}


STORE = ("store_reads", "store_lists", "store_writes", "store_deletes")


def test_store_calls_in_the_report_are_the_requests_s3_saw(world: Any) -> None:
    w = world(fleet(12))
    seen = []
    for when in (at(FRIDAY, "19:30"), at(FRIDAY, "20:00"), at(FRIDAY, "20:15")):
        report, calls = run_json(w, when)
        seen_on_wire = s3_seen(calls)
        assert counted(report, *STORE) == seen_on_wire, when
        # S3 Standard, us-east-1: $0.005 per 1,000 PUT and LIST, $0.0004 per 1,000 GET.
        class_a = seen_on_wire.get("store_writes", 0) + seen_on_wire.get("store_lists", 0)
        usd = class_a * 0.005 / 1000 + seen_on_wire.get("store_reads", 0) * 0.0004 / 1000
        assert report["calls_usd"] == round(usd, 6)
        assert report["calls"]["store_writes"] > 0
        seen.append(report["calls"])
    # The stop run and the quiet ones after it each keep one object of their counts.
    kept = {}
    for page in w.s3.get_paginator("list_objects_v2").paginate(
        Bucket=w.bucket, Prefix=f"{PREFIX}/runs/v1/"
    ):
        for item in page.get("Contents", []):
            body = json.loads(w.s3.get_object(Bucket=w.bucket, Key=item["Key"])["Body"].read())
            kept[body["at"]] = body
    assert len(kept) == 3
    assert sorted(k["calls"]["store_writes"] for k in kept.values()) == sorted(
        c["store_writes"] for c in seen
    )
    assert {k["store"] for k in kept.values()} == {"s3"}


def test_metrics_reads_in_the_report_are_the_requests_cloudwatch_saw(world: Any) -> None:
    idle = {"schedule": "office-hours", "idle-stop": "1h"}
    w = world(fleet(4, [Box("idle-a", "t3.medium", idle), Box("idle-b", "m5.large", idle)]))
    cloudwatch = boto3.client("cloudwatch", region_name=REGION, endpoint_url=w.moto, **_creds())
    start = at(WEDNESDAY, "12:00")
    for instance_id, box in w.boxes.items():
        if box.name.startswith("idle-"):
            put_cpu_utilisation(cloudwatch, instance_id, start, 150, lambda _: 1.0)

    report, calls = run_json(w, at(WEDNESDAY, "14:30"))

    monitoring = [c for c in calls if c.service == "monitoring"]
    operations = Counter(c.operation for c in monitoring)
    requested = report["calls"].get("cloudwatch_get_metric_data", 0)
    assert operations["GetMetricData"] == requested >= 1
    assert report["calls"].get("cloudwatch_list_metrics", 0) == operations["ListMetrics"]
    # One CPU series per idle-tagged box, each a metric CloudWatch bills for.
    assert report["calls"]["cloudwatch_metrics_requested"] == 2
    assert counted(report, *STORE) == s3_seen(calls)
    # The reads were the idle rule's: both boxes measured over their whole window.
    reasons = {d["name"]: d["reason"] for d in report["decisions"]}
    assert all("idle: CPU max 1 % over 1 h" in reasons[n] for n in ("idle-a", "idle-b"))
