"""Helpers the snooze tests share: a key, a resource's links, moto seeding."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from functions.snooze.links import link_maker
from providers.base import Resource, ResourceState

KEY = b"snooze-test-key-0123456789abcdef-0123"
ACCOUNT = "123456789012"
REGION = "eu-west-1"
OVERRIDE = "schedule-override"


def resource(
    kind: str,
    rid: str,
    provider: str = "aws",
    account: str = ACCOUNT,
    region: str = REGION,
    tags: Mapping[str, str] | None = None,
) -> Resource:
    return Resource(
        provider, account, region, kind, rid, rid, dict(tags or {}), ResourceState.RUNNING
    )


def links_for(
    res: Resource, stop_at: datetime, base: str = "https://snooze.example", key: bytes = KEY
) -> dict[str, str]:
    """action -> URL, from the links callable the notices use."""
    labels = link_maker(base, key)(res, stop_at)
    actions = ("keep-1h", "keep-2h", "keep-until-08", "skip-tonight")
    return dict(zip(actions, (url for _, url in labels), strict=True))


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def launch_box(ec2: Any, name: str, tags: Mapping[str, str], size: str = "t3.medium") -> str:
    answer = ec2.run_instances(
        ImageId="ami-12c6146b",
        InstanceType=size,
        MinCount=1,
        MaxCount=1,
        TagSpecifications=[
            {
                "ResourceType": "instance",
                "Tags": [{"Key": k, "Value": v} for k, v in {"Name": name, **tags}.items()],
            }
        ],
    )
    return str(answer["Instances"][0]["InstanceId"])


def tags_of(ec2: Any, instance_id: str) -> dict[str, str]:
    answer = ec2.describe_instances(InstanceIds=[instance_id])
    instance = answer["Reservations"][0]["Instances"][0]
    return {t["Key"]: t["Value"] for t in instance.get("Tags", [])}


def state_of(ec2: Any, instance_id: str) -> str:
    answer = ec2.describe_instances(InstanceIds=[instance_id])
    return str(answer["Reservations"][0]["Instances"][0]["State"]["Name"])
