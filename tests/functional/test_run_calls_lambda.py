"""The Lambda entry point keeps each whole-fleet run's billable calls in one object next to
the ledger (moto S3), with its own invocation and memory-time; one item of the Step
Functions fan-out keeps none and answers its counts instead. The digest's line sums them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.jobs.run_calls import own_cost_line
from providers.aws.s3_store import S3Store
from sandbox.aws_fleet import Box, instance_states, launch

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)
RUNS = "offhours/runs/v1/date=2026-11-23/"


@dataclass
class Context:
    """What Lambda hands a Python handler (the fields the handler reads)."""

    function_name: str = "offhours-scheduler"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:offhours"
    aws_request_id: str = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 600_000


def kept(s3: Any) -> dict[str, dict[str, Any]]:
    listed = s3.list_objects_v2(Bucket="ledger", Prefix=RUNS).get("Contents", [])
    return {
        o["Key"]: json.loads(s3.get_object(Bucket="ledger", Key=o["Key"])["Body"].read())
        for o in listed
    }


def test_each_scheduled_run_keeps_its_calls_once(ec2: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import boto3

    s3 = boto3.client("s3", region_name="eu-west-1")
    s3.create_bucket(Bucket="ledger", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    launch(ec2, Box("dev", "t3.medium", {"schedule": "office-hours"}))
    monkeypatch.setenv("OFFHOURS_LEDGER", "s3://ledger/offhours")
    monkeypatch.setenv("OFFHOURS_AWS_REGIONS", "eu-west-1")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "offhours")
    from functions.clouds.aws_lambda import handler

    first = handler({"scheduled_time": "2026-11-23T20:00:00Z"}, Context())
    assert instance_states(ec2) == {"dev": "stopped"}
    (record,) = kept(s3).values()
    assert record["run_id"] == first["run_id"] and record["store"] == "s3"
    assert record["calls"] == first["calls"]
    assert record["calls"]["lambda_invocations"] == 1
    assert record["calls"]["lambda_mb_ms"] > 0 and record["calls"]["lambda_mb_ms"] % 512 == 0
    assert record["calls"]["store_writes"] >= 3  # state, ledger object, this object at least

    item = {
        "scheduled_time": "2026-11-23T20:15:00Z",
        "targets": [{"account": "123456789012", "region": "eu-west-1"}],
    }
    fanned = handler(item, Context())
    assert fanned["calls"]["lambda_invocations"] == 1
    assert len(kept(s3)) == 1  # never one object per target per run

    second = handler({"scheduled_time": "2026-11-23T20:30:00Z"}, Context())
    assert len(kept(s3)) == 2
    line = own_cost_line(S3Store("s3://ledger/offhours", client=s3), MONDAY, MONDAY + timedelta(7))
    writes = first["calls"]["store_writes"] + second["calls"]["store_writes"]
    assert line.startswith("offhours' own cost this week: $0.0")
    assert f"{writes} store writes" in line and "2 Lambda invocations, 2 runs;" in line
