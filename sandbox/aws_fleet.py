"""The embedded AWS: a seeded fleet in moto, shared by ``offhours demo`` and the tests.

Call these inside an active ``moto.mock_aws()`` (in-process) or with a client pointed at
a moto server. ``set_launch_time`` reaches into moto's backend because moto stamps
LaunchTime with the wall clock; the demo and the tests run on a simulated clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

DEMO_ACCOUNT = "123456789012"
DEMO_REGION = "eu-west-1"
# moto accepts any well-formed AMI id for run_instances.
AMI = "ami-12c6146b"


@dataclass(frozen=True)
class Box:
    name: str
    size: str
    tags: Mapping[str, str]
    running: bool = True
    hibernation: bool = False


def demo_fleet(week_start: datetime) -> list[Box]:
    """A small, realistic fleet: dev boxes of several sizes, GPU notebooks, an untagged
    box, a protected production box, a bad tag, an override, an ASG member, and a box
    that is only ever stopped (its owner starts it when she needs it)."""
    wed_night = (week_start + timedelta(days=2)).replace(hour=22, minute=0)
    override = f"running-until-{wed_night.astimezone(UTC):%Y%m%dt%H%M}z"
    return [
        Box("dev-alice", "t3.medium", {"schedule": "office-hours", "team": "web"}),
        Box("dev-bob", "m5.2xlarge", {"schedule": "extended-hours", "team": "web"}),
        Box(
            "ci-runner",
            "c5.xlarge",
            {"schedule": "mon-fri 07:00-19:00 Europe/Berlin", "team": "platform"},
        ),
        Box(
            "gpu-notebook-ml",
            "g5.xlarge",
            {"schedule": "office-hours", "team": "ml", "offhours-hibernate": "true"},
            hibernation=True,
        ),
        Box("gpu-train-p3", "p3.2xlarge", {"schedule": "daytime", "team": "ml"}),
        Box("dev-legacy-untagged", "m5.large", {"team": "web"}),
        Box(
            "prod-api",
            "m5.xlarge",
            {"schedule": "office-hours", "environment": "prod", "team": "web"},
        ),
        Box("typo-box", "t3.large", {"schedule": "mon-fry 9-5", "team": "data"}),
        Box(
            "release-week",
            "t3.xlarge",
            {"schedule": "office-hours", "team": "data", "schedule-override": override},
        ),
        Box("night-owl", "t3.medium", {"schedule": "office-hours", "team": "data"}, running=False),
        Box("dev-dana", "t3.large", {"schedule": "stop-only 19:00", "team": "data"}),
        Box(
            "asg-worker",
            "t3.small",
            {
                "schedule": "office-hours",
                "aws:autoscaling:groupName": "workers",
                "team": "platform",
            },
        ),
    ]


def launch(ec2: Any, box: Box) -> str:
    tags = [{"Key": "Name", "Value": box.name}] + [
        {"Key": k, "Value": v} for k, v in box.tags.items()
    ]
    response = ec2.run_instances(
        ImageId=AMI,
        MinCount=1,
        MaxCount=1,
        InstanceType=box.size,
        HibernationOptions={"Configured": box.hibernation},
        TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
    )
    instance_id: str = response["Instances"][0]["InstanceId"]
    if not box.running:
        ec2.stop_instances(InstanceIds=[instance_id])
    return instance_id


def seed(ec2: Any, fleet: list[Box], launched_at: datetime) -> dict[str, str]:
    """Launch the fleet; returns name -> instance id."""
    ids = {box.name: launch(ec2, box) for box in fleet}
    for instance_id in ids.values():
        set_launch_time(instance_id, launched_at, region=ec2.meta.region_name)
    return ids


def set_launch_time(
    instance_id: str, at: datetime, region: str = DEMO_REGION, account: str = DEMO_ACCOUNT
) -> None:
    from moto.ec2.models import ec2_backends

    instance = ec2_backends[account][region].get_instance(instance_id)
    instance.launch_time = at.astimezone(UTC).replace(tzinfo=None)


def instance_states(ec2: Any) -> dict[str, str]:
    """Name -> EC2 state, for assertions and the demo's report."""
    states: dict[str, str] = {}
    for page in ec2.get_paginator("describe_instances").paginate():
        for reservation in page["Reservations"]:
            for instance in reservation["Instances"]:
                tags = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
                states[tags.get("Name", instance["InstanceId"])] = instance["State"]["Name"]
    return states
