"""A spot instance that names no spot request (moto's one-time spot instances do; so
may an instance whose request was since deleted) cannot be shown to be stoppable: the
run leaves it alone, says why, and still schedules the rest."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from functions.cli.main import main
from sandbox.aws_fleet import AMI, Box, instance_states, launch

EVENING = "2026-11-23T20:00:00+00:00"


def test_a_spot_instance_without_a_request_is_not_stopped(
    ec2: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    launch(ec2, Box("dev", "t3.medium", {"schedule": "office-hours"}))
    ec2.run_instances(
        ImageId=AMI,
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.medium",
        InstanceMarketOptions={"MarketType": "spot"},
        TagSpecifications=[
            {
                "ResourceType": "instance",
                "Tags": [
                    {"Key": "Name", "Value": "spot"},
                    {"Key": "schedule", "Value": "office-hours"},
                ],
            }
        ],
    )
    described = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["spot"]}])
    spot = described["Reservations"][0]["Instances"][0]
    assert spot.get("InstanceLifecycle") == "spot" and not spot.get("SpotInstanceRequestId")
    args = ["run", "--region", "eu-west-1", "--ledger", str(tmp_path), "--at", EVENING]
    assert main([*args, "-o", "json"]) == 0
    decisions = {d["name"]: d for d in json.loads(capsys.readouterr().out)["decisions"]}
    assert decisions["spot"]["action"] == "skip"
    assert "spot instance" in decisions["spot"]["reason"]
    assert instance_states(ec2) == {"dev": "stopped", "spot": "running"}
