"""The cloud entry points run the real job from their environment: Lambda on moto with the
ledger in S3, the Azure Functions app against the local ARM fake."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from functions.clouds.entry import floor_to_period
from sandbox.aws_fleet import Box, instance_states, launch


@dataclass
class LambdaContext:
    function_name: str = "offhours-scheduler"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:offhours"
    aws_request_id: str = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 600_000


def test_lambda_handler_runs_the_job_and_writes_the_ledger_to_s3(
    ec2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    s3 = boto3.client("s3", region_name="eu-west-1")
    s3.create_bucket(Bucket="ledger", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    launch(ec2, Box("dev", "t3.medium", {"schedule": "office-hours"}))
    launch(ec2, Box("prod", "t3.medium", {"schedule": "office-hours", "environment": "prod"}))
    monkeypatch.setenv("OFFHOURS_LEDGER", "s3://ledger/offhours")
    monkeypatch.setenv("OFFHOURS_AWS_REGIONS", "eu-west-1")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "offhours")
    from functions.clouds.aws_lambda import handler

    event = {"scheduled_time": "2026-11-23T20:00:00Z"}
    result = handler(event, LambdaContext())
    assert result["actions"] == {"stop-done": 1}
    assert result["run_id"].startswith("20261123T200000Z-") and result["errors"] == []
    assert instance_states(ec2) == {"dev": "stopped", "prod": "running"}
    key = "offhours/ledger/v1/provider=aws/account=123456789012/date=2026-11-23/"
    objects = s3.list_objects_v2(Bucket="ledger", Prefix=key)["Contents"]
    assert [o["Key"] for o in objects] == [key + result["run_id"] + "-eu-west-1.jsonl.gz"]
    body = s3.get_object(Bucket="ledger", Key=objects[0]["Key"])["Body"].read()
    (row,) = [json.loads(line) for line in gzip.decompress(body).splitlines()]
    assert (row["ResourceName"], row["x_Action"], row["x_Outcome"]) == ("dev", "stop", "done")


def test_lambda_dry_run_setting_changes_nothing(
    ec2: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    launch(ec2, Box("dev", "t3.medium", {"schedule": "office-hours"}))
    monkeypatch.setenv("OFFHOURS_LEDGER", str(tmp_path))
    monkeypatch.setenv("OFFHOURS_AWS_REGIONS", "eu-west-1")
    monkeypatch.setenv("OFFHOURS_DRY_RUN", "true")
    from functions.clouds.aws_lambda import handler

    result = handler({"scheduled_time": "2026-11-23T20:00:00Z"}, LambdaContext())
    assert result["dry_run"] is True and result["actions"] == {"stop-dry-run": 1}
    assert instance_states(ec2)["dev"] == "running"
    assert list(tmp_path.iterdir()) == []


@dataclass
class Timer:
    past_due: bool = False


def test_azure_function_app_deallocates_from_app_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from sandbox.azure_fake import start_azure_fake

    with start_azure_fake() as fake:
        subscription = "00000000-0000-0000-0000-0000000000aa"
        fake.add_subscription(subscription, "test")
        fake.add_vm(
            subscription,
            "rg",
            "parked",
            "Standard_D2s_v5",
            "westeurope",
            {"schedule": "always-off"},
        )
        fake.add_vm(
            subscription,
            "rg",
            "prod",
            "Standard_D2s_v5",
            "westeurope",
            {"schedule": "always-off", "environment": "production"},
        )
        for name, value in {
            "OFFHOURS_PROVIDERS": "azure",
            "OFFHOURS_AZURE_ENDPOINT_URL": fake.url,
            "OFFHOURS_AZURE_SUBSCRIPTIONS": subscription,
            "OFFHOURS_LEDGER": str(tmp_path),
            "OFFHOURS_CRON": "0 */15 * * * *",
            "OFFHOURS_DIGEST_CRON": "0 0 7 * * 1",
            **fake.credential_env(),  # the fake's Entra ID tenant
        }.items():
            monkeypatch.setenv(name, value)
        from functions.clouds.azure_function_app import app

        scheduler = next(f for f in app.get_functions() if f.get_function_name() == "scheduler")
        scheduler.get_user_function()(Timer())
        assert fake.vm("parked").power_state == "deallocated"
        assert fake.vm("prod").power_state == "running"
    assert list(tmp_path.glob("ledger/v1/provider=azure/*/date=*/*.jsonl.gz"))


def test_timer_ticks_are_floored_to_their_period() -> None:
    at = datetime(2026, 11, 23, 8, 14, 59, tzinfo=UTC)
    assert floor_to_period(at, 15) == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def test_lambda_fan_out_lists_targets_then_runs_one(
    ec2: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    launch(ec2, Box("dev", "t3.medium", {"schedule": "office-hours"}))
    monkeypatch.setenv("OFFHOURS_LEDGER", str(tmp_path))
    monkeypatch.setenv("OFFHOURS_AWS_REGIONS", "eu-west-1,us-east-1")
    from functions.clouds.aws_lambda import handler

    listed = handler(
        {"action": "list-targets", "scheduled_time": "2026-11-23T20:00:00Z"}, LambdaContext()
    )
    assert listed["targets"] == [
        {"account": "123456789012", "region": "eu-west-1"},
        {"account": "123456789012", "region": "us-east-1"},
    ]
    item = {"scheduled_time": "2026-11-23T20:00:00Z", "targets": listed["targets"][:1]}
    result = handler(item, LambdaContext())
    assert result["actions"] == {"stop-done": 1}
    assert instance_states(ec2)["dev"] == "stopped"
    assert not list(tmp_path.glob("state/v1/provider=aws/*/region=us-east-1/*"))
