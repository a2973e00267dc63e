"""EC2 instances AWS refuses to stop, through the reconcile job on moto with the documented
refusals enforced (``sandbox/aws_limits.py``): the plan's reason, the instance's real
state afterwards, and the ledger (nothing booked for what did not stop)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aws_kit import REGION, at, decision_for, make_job, result_for, rows, run, settings_for
from botocore.exceptions import ClientError

from providers.aws.stop_protection import REASON
from sandbox.aws_fleet import AMI, instance_states
from sandbox.aws_limits import documented_limits, make_instance_store, request_one_time_spot

OFFICE = {"schedule": "office-hours"}


@pytest.fixture
def limits(aws: None) -> Iterator[None]:
    with documented_limits():
        yield


@pytest.fixture
def job(tmp_path: Any, clock: Any, calls: Any, limits: None) -> Any:
    return make_job(settings_for(tmp_path, ["ec2"]), clock, calls)


def launch(ec2: Any, name: str, **options: Any) -> str:
    tags = [{"Key": "Name", "Value": name}, *({"Key": k, "Value": v} for k, v in OFFICE.items())]
    answer = ec2.run_instances(
        ImageId=AMI,
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.medium",
        TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
        **options,
    )
    instance_id: str = answer["Instances"][0]["InstanceId"]
    return instance_id


def test_an_instance_store_backed_instance_is_skipped_at_plan_time(
    clients: Any, job: Any, clock: Any
) -> None:
    """EC2 API reference 2016-11-15, StopInstances: "You can't stop or hibernate instance
    store-backed instances"; the refusal is ``UnsupportedOperation`` (EC2 User Guide,
    "Stop and start Amazon EC2 instances")."""
    scratch = launch(clients.ec2, "scratch")
    launch(clients.ec2, "dev")
    make_instance_store(scratch, REGION)
    with pytest.raises(ClientError, match="UnsupportedOperation"):
        clients.ec2.stop_instances(InstanceIds=[scratch])  # the fake refuses as AWS does

    report = run(job, clock, at(0, 19, 5))
    decision = decision_for(report, "scratch")
    assert (decision.action.value, decision.reason) == (
        "skip",
        "instance-store root device: AWS cannot stop it, only terminate it",
    )
    assert instance_states(clients.ec2) == {"scratch": "running", "dev": "stopped"}
    run(job, clock, at(1, 8, 5))
    assert rows(job, ResourceName="scratch") == []
    assert [r["x_Action"] for r in rows(job, ResourceName="dev")] == ["stop", "start"]


def test_stop_protection_is_learned_from_the_refusal_and_skipped_until_turned_off(
    clients: Any, job: Any, clock: Any
) -> None:
    """EC2 User Guide, "Enable stop protection for your EC2 instances": with
    ``DisableApiStop`` on, StopInstances is refused with ``OperationNotPermitted``.
    DescribeInstances does not return the attribute (EC2 API reference 2016-11-15,
    Instance); DescribeInstanceAttribute ``disableApiStop`` answers per instance."""
    guarded = launch(clients.ec2, "guarded", DisableApiStop=True)
    launch(clients.ec2, "dev")

    # The first evening: AWS refuses the batch; the engine splits it, dev still stops.
    first = run(job, clock, at(0, 19, 5))
    refused = result_for(first, "guarded")
    assert refused.outcome.value == "failed"
    assert refused.error.startswith("OperationNotPermitted: The instance")
    assert instance_states(clients.ec2) == {"guarded": "running", "dev": "stopped"}
    # From the next run on, the plan skips it with the reason, and writes nothing more.
    second = run(job, clock, at(0, 19, 20))
    assert decision_for(second, "guarded").reason == REASON
    assert [r["x_Outcome"] for r in rows(job, ResourceName="guarded")] == ["failed"]
    assert rows(job, ResourceName="guarded")[0]["x_EstimatedSavings"] in (None, 0, 0.0)

    # Its owner turns the protection off during the day: the evening run stops it.
    run(job, clock, at(1, 8, 5))
    clients.ec2.modify_instance_attribute(InstanceId=guarded, DisableApiStop={"Value": False})
    run(job, clock, at(1, 19, 5))
    assert instance_states(clients.ec2)["guarded"] == "stopped"
    run(job, clock, at(2, 8, 5))
    booked = rows(job, ResourceName="guarded", x_Action="start")
    assert len(booked) == 1 and booked[0]["x_AvoidedHours"] == pytest.approx(13.0)


def test_a_spot_instance_of_a_one_time_request_is_skipped_at_plan_time(
    clients: Any, job: Any, clock: Any
) -> None:
    """EC2 User Guide, "Stop and start a Spot Instance": only a Spot Instance of a
    persistent request (interruption behaviour ``stop``) can be stopped; StopInstances on
    one of a one-time request answers ``UnsupportedOperation``. The adapter learns the
    request type from DescribeSpotInstanceRequests (EC2 API reference 2016-11-15)."""
    spot = request_one_time_spot(clients.ec2, {"Name": "batch-spot", **OFFICE}, REGION)
    with pytest.raises(ClientError, match="UnsupportedOperation"):
        clients.ec2.stop_instances(InstanceIds=[spot])
    report = run(job, clock, at(0, 19, 5))
    assert decision_for(report, "batch-spot").reason == (
        "spot instance from a one-time request: it cannot be stopped"
    )
    assert instance_states(clients.ec2)["batch-spot"] == "running"
    assert rows(job, ResourceName="batch-spot") == []
