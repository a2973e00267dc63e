"""Memory follows the page, not the fleet: EC2 discovery hands out a page's resources
before it asks for the next page, keeps no SDK dict in what it hands out, and parses
timestamps as botocore's default parser does; the state object is compact JSON and
reads back the indented objects written before.

Against moto in-process (``mock_aws``); no timing: the figures are in
``bench/bench_ec2.py``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from ledger.run_state import ActionIntent, Lease, NoticeMark, OffPeriod, TargetState
from providers.aws.connection import connect
from providers.aws.ec2 import Ec2Instances
from providers.base import AdapterOptions, ProviderConfig, Target
from sandbox.aws_fleet import Box, launch

REGION = "eu-west-1"
TARGET = Target("aws", "123456789012", REGION)


@pytest.fixture
def session(aws: None) -> boto3.Session:
    return boto3.Session(region_name=REGION)


@pytest.fixture
def adapter(session: boto3.Session, clock: Any) -> Ec2Instances:
    connection = connect(ProviderConfig(regions=(REGION,)), session=session)
    return Ec2Instances(connection, AdapterOptions(clock=clock))


def test_each_page_is_handed_out_before_the_next_is_requested(
    ec2: Any, session: boto3.Session, adapter: Ec2Instances
) -> None:
    for n in range(5):  # one reservation each: moto's pages count reservations
        launch(ec2, Box(f"box-{n}", "t3.medium", {"schedule": "office-hours"}))
    launch(ec2, Box("untagged", "t3.medium", {"team": "web"}))
    events: list[str] = []
    session.events.register(
        "before-call.ec2.DescribeInstances", lambda **_: events.append("request")
    )
    adapter.page_size = 2
    for resource in adapter.discover(TARGET):
        events.append(resource.name)
    assert events == [
        "request",
        "box-0",
        "box-1",
        "request",
        "box-2",
        "box-3",
        "request",
        "box-4",
    ]


def test_a_resource_keeps_no_sdk_response_and_shares_what_repeats(
    ec2: Any, adapter: Ec2Instances
) -> None:
    for n in range(3):
        launch(ec2, Box(f"box-{n}", "t3.medium", {"schedule": "office-hours", "team": "web"}))
    found = list(adapter.discover(TARGET))
    assert len(found) == 3
    assert all(not hasattr(r, "__dict__") for r in found)  # slots: no per-resource dict
    assert all(set(r.tags) == {"Name", "schedule", "team"} for r in found)
    assert all(isinstance(v, str) for r in found for v in (*r.tags, *r.tags.values()))
    first, *others = found
    # One string, price and extras object for the whole fleet, not one per instance.
    assert all(r.size is first.size for r in others)
    assert all(r.tags["schedule"] is first.tags["schedule"] for r in others)
    assert all(r.price is first.price and r.extra is first.extra for r in others)
    assert first.price is not None and first.extra == {"hibernation": ""}


def _timestamps(value: Any, path: str = "") -> Iterator[tuple[str, datetime]]:
    if isinstance(value, datetime):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key != "ResponseMetadata":
                yield from _timestamps(item, f"{path}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _timestamps(item, f"{path}[{n}]")


def test_timestamps_parse_to_the_same_instants_as_botocores_default(
    ec2: Any, session: boto3.Session, clock: Any
) -> None:
    launch(ec2, Box("box", "t3.medium", {"schedule": "office-hours"}))
    ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8)
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="ledger", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket="ledger", Key="a.json", Body=b"{}")
    sagemaker = boto3.client("sagemaker", region_name=REGION)  # a JSON protocol: epochs
    sagemaker.create_notebook_instance(
        NotebookInstanceName="nb",
        InstanceType="ml.t3.medium",
        RoleArn="arn:aws:iam::123456789012:role/sm",
    )
    connection = connect(ProviderConfig(regions=(REGION,)), session=session)
    calls = {
        "ec2": [("describe_instances", {}), ("describe_volumes", {})],
        "s3": [("list_objects_v2", {"Bucket": "ledger"}), ("list_buckets", {})],
        "sagemaker": [("list_notebook_instances", {})],
    }
    seen = 0
    for service, operations in calls.items():
        ours = connection.client(service, TARGET)
        stock = boto3.client(service, region_name=REGION)
        for name, params in operations:
            fast = list(_timestamps(getattr(ours, name)(**params)))
            slow = list(_timestamps(getattr(stock, name)(**params)))
            assert [p for p, _ in fast] == [p for p, _ in slow], (service, name)
            for (where, got), (_, expected) in zip(fast, slow, strict=True):
                assert got == expected, where
                assert got.utcoffset() == expected.utcoffset(), where
            seen += len(fast)
    assert seen >= 6


def _state() -> TargetState:
    at = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)
    key = "aws/123456789012/eu-west-1/ec2/i-0abc"
    return TargetState(
        last_run=at,
        kind_runs={"ec2": at},
        off={key: OffPeriod(at, 0.0416, "USD", "bundled:ec2", "office-hours", "stop")},
        problems={"aws/123456789012/eu-west-1/ec2/i-0bad": "bad tag: mon-fry"},
        pending={"ledger/v1/x.jsonl.gz": [{"ResourceId": "i-0abc", "x_Reason": "off: ü"}]},
        lease=Lease("20261123T190000Z-1", at + timedelta(minutes=10)),
        intents={key: ActionIntent("20261123T190000Z-1", "stop", at, accepted=True)},
        notices={f"{key}@2026-11-23T19:00:00Z": NoticeMark("r0", at, "sent")},
    )


def test_state_is_written_compact_and_reads_back_the_same() -> None:
    state = _state()
    data = state.to_json()
    # No whitespace between tokens (the strings inside may have their own).
    assert data == json.dumps(json.loads(data), sort_keys=True, separators=(",", ":")).encode()
    assert TargetState.from_json(data) == state
    assert TargetState.from_json(data).to_json() == data


def test_state_written_indented_by_an_earlier_version_still_reads() -> None:
    state = _state()
    indented = json.dumps(json.loads(state.to_json()), indent=1).encode()
    assert b"\n" in indented
    assert TargetState.from_json(indented) == state
