"""Clients of one endpoint host share one HTTP pool (every member account's EC2 client in
a region talks to the same host): against a moto server over HTTP, two accounts' clients
send through one pool, each signed with its own account's credentials, and releasing
one target leaves the other's client working."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from providers.aws.connection import connect
from providers.base import ProviderConfig, Target
from sandbox.aws_fleet import Box, launch
from sandbox.moto_server import FAKE_ENV, moto_server

REGION = "eu-west-1"
MEMBERS = ("210000000001", "210000000002")


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with moto_server() as found:
        yield found


def _pool(client: Any) -> Any:
    return client._made()._endpoint.http_session


def test_member_accounts_share_a_pool_and_keep_their_own_credentials(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    for name, value in FAKE_ENV.items():
        monkeypatch.setenv(name, value)
    for account in MEMBERS:
        creds = boto3.client("sts", region_name=REGION, endpoint_url=url).assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/offhours", RoleSessionName="seed"
        )["Credentials"]
        ec2 = boto3.client(
            "ec2",
            region_name=REGION,
            endpoint_url=url,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
        launch(ec2, Box(f"box-{account}", "t3.micro", {"schedule": "office-hours"}))
    connection = connect(ProviderConfig(regions=(REGION,), role_name="offhours", endpoint_url=url))
    first, second = (Target("aws", a, REGION) for a in MEMBERS)
    clients = [connection.client("ec2", t) for t in (first, second)]

    def names(client: Any) -> list[str]:
        found = client.describe_instances()["Reservations"]
        tags = (t for r in found for i in r["Instances"] for t in i["Tags"])
        return [t["Value"] for t in tags if t["Key"] == "Name"]

    assert [names(c) for c in clients] == [["box-210000000001"], ["box-210000000002"]]
    assert _pool(clients[0]) is _pool(clients[1])
    connection.release(first)
    assert names(clients[1]) == ["box-210000000002"]  # the pool outlived the released client
    again = connection.client("ec2", first)
    assert names(again) == ["box-210000000001"] and _pool(again) is _pool(clients[1])
