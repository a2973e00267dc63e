"""The fault proxy itself: each fault reaches the SDK as the service would send it, and a
kill before forwarding never reaches AWS while a kill after does."""

from __future__ import annotations

import subprocess
import sys
import threading
from typing import Any

import boto3
import kit
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from proxy import FaultProxy, Rule, denied, throttle

from sandbox.moto_server import FAKE_ENV

NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1})


def client(service: str, url: str) -> Any:
    return boto3.client(
        service, region_name=kit.REGION, endpoint_url=url, config=NO_RETRY, **kit._creds()
    )


@pytest.fixture
def world(moto: str, proxy: FaultProxy) -> kit.World:
    return kit.World(moto, proxy, "proxy-self-test", kit.fleet(2))


def test_errors_in_each_services_wire_format(world: kit.World, proxy: FaultProxy) -> None:
    s3, ec2 = client("s3", proxy.url), client("ec2", proxy.url)
    proxy.reset(
        throttle("s3", operation="PUT", key="*/ledger/*"),
        denied("ec2", operation="StopInstances", after=1),
    )
    with pytest.raises(ClientError) as slow:
        s3.put_object(Bucket=world.bucket, Key="offhours/ledger/x", Body=b"1")
    s3.put_object(Bucket=world.bucket, Key="offhours/ledger/x", Body=b"2")  # bounded: once
    some = sorted(world.boxes)[0]
    ec2.stop_instances(InstanceIds=[some])  # ``after=1``: the first one goes through
    ec2.start_instances(InstanceIds=[some])
    with pytest.raises(ClientError) as no:
        ec2.stop_instances(InstanceIds=[some])
    assert slow.value.response["Error"]["Code"] == "SlowDown"
    assert no.value.response["Error"]["Code"] == "AccessDenied"
    assert world.states()[some] == "running"
    assert [(c.service, c.operation, c.status, c.fault) for c in proxy.calls] == [
        ("s3", "PUT", 503, "error"),
        ("s3", "PUT", 200, ""),
        ("ec2", "StopInstances", 200, ""),
        ("ec2", "StartInstances", 200, ""),
        ("ec2", "StopInstances", 403, "error"),
    ]


@pytest.mark.parametrize(
    ("action", "after"), [("kill-before", "running"), ("kill-after", "stopped")]
)
def test_kill_before_and_after_aws_acted(
    world: kit.World, proxy: FaultProxy, action: str, after: str
) -> None:
    some = sorted(world.boxes)[0]
    script = (
        "import boto3; boto3.client('ec2', region_name='eu-west-1', endpoint_url="
        f"{proxy.url!r}).stop_instances(InstanceIds=[{some!r}]); print('answered')"
    )
    proxy.reset(Rule("ec2", action, operation="StopInstances"))
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        env={**FAKE_ENV, "AWS_EC2_METADATA_DISABLED": "true"},
        stdout=subprocess.PIPE,
        text=True,
    )
    proxy.pid = proc.pid
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == -9 and "answered" not in out
    assert world.states()[some] == after
    assert [(c.operation, c.status, c.fault) for c in proxy.calls] == [("StopInstances", 0, action)]


def test_hold_waits_for_the_gate(world: kit.World, proxy: FaultProxy) -> None:
    """A held call reaches AWS only after the test opens the gate: two runs overlap by
    construction, not by latency."""
    ec2 = client("ec2", proxy.url)
    some = sorted(world.boxes)[0]
    proxy.reset(Rule("ec2", "hold", operation="StopInstances"))
    caller = threading.Thread(target=ec2.stop_instances, kwargs={"InstanceIds": [some]})
    caller.start()
    assert proxy.held.wait(30)
    assert world.states()[some] == "running"  # held before it reached moto
    proxy.gate.set()
    caller.join(30)
    assert world.states()[some] == "stopped"
    assert [(c.operation, c.status) for c in proxy.calls] == [("StopInstances", 200)]
