"""The AWS connection at organisation scale, against moto: member accounts entered once
however many workers ask, role ARNs in the caller's partition, clients that parse
timestamps zone-aware, one tag listing per target shared by the tag-based kinds."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from aws_kit import REGION

from providers.aws.clients import parse_timestamp
from providers.aws.connection import AwsAccessError, connect
from providers.aws.once import OncePerKey
from providers.aws.rds import AuroraClusters, RdsInstances
from providers.aws.sagemaker_notebooks import SageMakerNotebooks
from providers.base import AdapterOptions, ProviderConfig, Target
from sandbox.aws_fleet import Box, launch

ROLE = "offhours-member"
MEMBER = "210987654321"
REGIONS = ("eu-west-1", "us-east-1", "eu-central-1", "us-west-2", "ap-southeast-1", "eu-west-2")


def _counting_session(region: str = REGION) -> tuple[Any, Counter[str]]:
    import boto3

    session = boto3.Session(region_name=region)
    calls: Counter[str] = Counter()
    lock = threading.Lock()

    def count(model: Any, **_: Any) -> None:
        with lock:
            calls[model.name] += 1

    session.events.register("before-call", count)
    return session, calls


def test_one_assume_role_per_account_however_many_workers_ask(aws: None) -> None:
    import boto3

    sts = boto3.client("sts", region_name=REGION)
    arn = f"arn:aws:iam::{MEMBER}:role/{ROLE}"
    creds = sts.assume_role(RoleArn=arn, RoleSessionName="seed")["Credentials"]
    member = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    for region in REGIONS:  # the member's own instance in each region
        ec2 = member.client("ec2", region_name=region)
        launch(ec2, Box(f"box-{region}", "t3.micro", {"schedule": "x"}))
    session, calls = _counting_session()
    connection = connect(ProviderConfig(role_name=ROLE), session=session)

    def names(region: str) -> list[str]:
        ec2 = connection.client("ec2", Target("aws", MEMBER, region))
        pages = ec2.get_paginator("describe_instances").paginate()
        return [
            t["Value"]
            for p in pages
            for r in p["Reservations"]
            for i in r["Instances"]
            for t in i["Tags"]
            if t["Key"] == "Name"
        ]

    with ThreadPoolExecutor(max_workers=8) as pool:
        found = list(pool.map(names, REGIONS * 3))
    assert calls["AssumeRole"] == 1
    assert calls["GetCallerIdentity"] == 1
    assert found == [[f"box-{region}"] for region in REGIONS * 3]


def test_role_arns_use_the_callers_partition(aws: None) -> None:
    from botocore.awsrequest import AWSResponse

    def deny(params: dict[str, Any], **_: Any) -> Any:
        error = {"Code": "AccessDenied", "Message": "not authorized"}
        return AWSResponse("https://sts.amazonaws.com/", 403, {}, None), {"Error": error}

    session, _ = _counting_session("cn-north-1")
    session.events.register("before-call.sts.AssumeRole", deny)
    connection = connect(ProviderConfig(role_name=ROLE), session=session)
    assert connection.partition() == "aws-cn"
    with pytest.raises(AwsAccessError, match=f"arn:aws-cn:iam::{MEMBER}:role/{ROLE}"):
        connection.client("ec2", Target("aws", MEMBER, "cn-north-1"))


def test_a_refused_role_is_asked_again_on_the_next_request(aws: None) -> None:
    from botocore.awsrequest import AWSResponse

    refusals = [1]

    def deny_once(params: dict[str, Any], **_: Any) -> Any:
        if not refusals:
            return None
        refusals.pop()
        error = {"Code": "AccessDenied", "Message": "not yet"}
        return AWSResponse("https://sts.amazonaws.com/", 403, {}, None), {"Error": error}

    session, _ = _counting_session()
    session.events.register("before-call.sts.AssumeRole", deny_once)
    connection = connect(ProviderConfig(role_name=ROLE), session=session)
    target = Target("aws", MEMBER, REGION)
    with pytest.raises(AwsAccessError):
        connection.client("ec2", target)
    assert connection.client("ec2", target).describe_instances()["Reservations"] == []


def test_released_and_least_recently_used_targets_get_new_clients(aws: None) -> None:
    connection = connect(ProviderConfig(max_workers=1))
    first = Target("aws", "123456789012", REGION)
    kept = connection.client("ec2", first)
    assert connection.client("ec2", first) is kept
    connection.release(first)
    again = connection.client("ec2", first)
    assert again is not kept
    for n in range(40):  # more targets than are kept for one worker
        connection.client("ec2", Target("aws", f"{100000000000 + n}", REGION))
    assert connection.client("ec2", first) is not again


def test_timestamps_are_zone_aware_whatever_the_wire_form() -> None:
    at = datetime(2026, 11, 23, 19, 5, tzinfo=UTC)
    assert parse_timestamp("2026-11-23T19:05:00.000Z") == at
    assert parse_timestamp("2026-11-23T20:05:00+01:00") == at
    assert parse_timestamp("2026-11-23T19:05:00") == at  # naive: UTC, as botocore reads it
    assert parse_timestamp(at.timestamp()) == at
    assert parse_timestamp(int(at.timestamp())) == at
    assert parse_timestamp("2026-11-23T19:05:00.123456789Z") == at + timedelta(microseconds=123456)
    rfc822 = parse_timestamp("Mon, 23 Nov 2026 19:05:00 GMT")
    assert rfc822 == at and rfc822.utcoffset() == timedelta(0)
    for value in ("2026-11-23T19:05:00Z", 1796072700, "Mon, 23 Nov 2026 19:05:00 GMT"):
        assert parse_timestamp(value).tzinfo is not None
    assert parse_timestamp("2026-11-23T19:05:00-05:00").utcoffset() == timezone(
        timedelta(hours=-5)
    ).utcoffset(None)


def test_once_per_key_computes_each_key_once_and_does_not_cache_failures() -> None:
    made: Counter[str] = Counter()
    gate = threading.Event()
    once: OncePerKey[str, str] = OncePerKey()

    def make(key: str) -> str:
        gate.wait(5)
        made[key] += 1
        return key.upper()

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(once.get, k, lambda k=k: make(k)) for k in ["a", "b"] * 8]
        gate.set()
        assert sorted({f.result() for f in futures}) == ["A", "B"]
    assert made == {"a": 1, "b": 1}

    def fail() -> str:
        raise RuntimeError("refused")

    with pytest.raises(RuntimeError):
        once.get("c", fail)
    assert once.get("c", lambda: "C") == "C"


def test_one_tag_listing_per_target_serves_every_tag_based_kind(
    aws: None, clock: Any, clients: Any
) -> None:
    from aws_kit import TARGET

    rds = clients.rds
    db = rds.create_db_instance(
        DBInstanceIdentifier="db",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="u",
        MasterUserPassword="password1",
        Tags=[{"Key": "schedule", "Value": "office-hours"}],
    )["DBInstance"]
    rds.create_db_instance(
        DBInstanceIdentifier="untagged",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="u",
        MasterUserPassword="password1",
        Tags=[{"Key": "team", "Value": "web"}],
    )
    rds.create_db_cluster(
        DBClusterIdentifier="cluster",
        Engine="aurora-postgresql",
        MasterUsername="u",
        MasterUserPassword="password1",
        Tags=[{"Key": "schedule", "Value": "office-hours"}],
    )
    session, calls = _counting_session()
    connection = connect(ProviderConfig(regions=(REGION,)), session=session)
    options = AdapterOptions(clock=clock)
    adapters = [
        RdsInstances(connection, options),
        AuroraClusters(connection, options),
        SageMakerNotebooks(connection, options),
    ]

    def discover() -> dict[str, list[str]]:
        return {a.kind: sorted(r.id for r in a.discover(TARGET)) for a in adapters}

    assert discover() == {"rds": ["db"], "aurora": ["cluster"], "sagemaker-notebooks": []}
    assert calls["GetResources"] == 1
    # The next pass lists afresh: a tag added in between is seen.
    rds.add_tags_to_resource(
        ResourceName=db["DBInstanceArn"].replace(":db:db", ":db:untagged"),
        Tags=[{"Key": "schedule", "Value": "office-hours"}],
    )
    assert discover()["rds"] == ["db", "untagged"]
    assert calls["GetResources"] == 2
