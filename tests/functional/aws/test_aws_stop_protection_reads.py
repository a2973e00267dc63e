"""The remembered stop-protected instances are listed once per run, and only a target
with something remembered reads its object (and the first target of a run its own):
through the reconcile job on moto, five regions (five targets), AWS's documented
refusal enforced (``sandbox/aws_limits.py``). The reads are every request the run made
on its store, by key."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_kit import at, decision_for, make_job, result_for, run, settings_for

from providers.aws import stop_protection
from providers.aws.stop_protection import REASON
from providers.store import LocalStore
from sandbox.aws_fleet import AMI, instance_states
from sandbox.aws_limits import documented_limits

REGIONS = ("eu-west-1", "us-east-1", "eu-central-1", "us-west-2", "ap-southeast-1")


class Counting(LocalStore):
    """A local store that counts its reads by key and its listings by prefix."""

    def __init__(self, root: Path) -> None:
        super().__init__(str(root))
        self.reads: Counter[str] = Counter()
        self.lists: Counter[str] = Counter()

    def get(self, key: str) -> bytes | None:
        self.reads[key] += 1
        return super().get(key)

    def list(self, prefix: str) -> Iterator[str]:
        self.lists[prefix] += 1
        return super().list(prefix)

    def protection_requests(self) -> tuple[int, int]:
        """(GETs, LISTs) of stop-protection objects since the last call."""
        gets = sum(n for k, n in self.reads.items() if k.startswith(stop_protection.PREFIX))
        lists = sum(n for k, n in self.lists.items() if k.startswith(stop_protection.PREFIX))
        self.reads.clear()
        self.lists.clear()
        return gets, lists


@pytest.fixture
def limits(aws: None) -> Iterator[None]:
    with documented_limits():
        yield


def launch(region: str, name: str, **options: Any) -> None:
    tags = [{"Key": "Name", "Value": name}, {"Key": "schedule", "Value": "office-hours"}]
    boto3.client("ec2", region_name=region).run_instances(
        ImageId=AMI,
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.medium",
        TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
        **options,
    )


def test_a_quiet_run_reads_only_the_remembered_targets_protection(
    limits: None, clock: Any, calls: Any, tmp_path: Path
) -> None:
    """EC2 User Guide, "Enable stop protection for your EC2 instances": StopInstances on
    an instance with ``DisableApiStop`` is refused with ``OperationNotPermitted``."""
    for region in REGIONS:
        launch(region, f"dev-{region}")
    launch("eu-west-1", "guarded", DisableApiStop=True)
    settings = settings_for(tmp_path, ["ec2"]).replace(aws_regions=REGIONS)
    store = Counting(tmp_path / "ledger")
    job = make_job(settings, clock, calls, store=store)

    first = run(job, clock, at(0, 19, 5))
    assert result_for(first, "guarded").outcome.value == "failed"
    assert store.protection_requests()[1] == 1  # one listing for the five targets

    second = run(job, clock, at(0, 19, 20))
    assert decision_for(second, "guarded").reason == REASON
    assert all(
        decision_for(second, f"dev-{r}").action.value == "skip" for r in REGIONS
    )  # stopped by the first run
    # One LIST for the run; a GET for the target with something remembered, and one for
    # the first target to ask if that was another: not one a target.
    gets, lists = store.protection_requests()
    assert lists == 1 and 1 <= gets <= 2


def test_a_job_of_one_target_reads_its_object_and_lists_nothing(
    limits: None, clock: Any, calls: Any, tmp_path: Path
) -> None:
    """As a Step Functions fan-out item runs: one target per job, so one GET a run."""
    launch("eu-west-1", "guarded", DisableApiStop=True)
    settings = settings_for(tmp_path, ["ec2"])
    store = Counting(tmp_path / "ledger")
    job = make_job(settings, clock, calls, store=store)
    run(job, clock, at(0, 19, 5))
    store.protection_requests()
    second = run(job, clock, at(0, 19, 20))
    assert decision_for(second, "guarded").reason == REASON
    assert store.protection_requests() == (1, 0)

    # Protection turned off: the object goes, and the evening stops the instance.
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    guarded = ec2.describe_instances()["Reservations"][0]["Instances"][0]["InstanceId"]
    ec2.modify_instance_attribute(InstanceId=guarded, DisableApiStop={"Value": False})
    run(job, clock, at(1, 8, 5))
    assert list(store.list(stop_protection.PREFIX)) == []
    run(job, clock, at(1, 19, 5))
    assert instance_states(ec2) == {"guarded": "stopped"}
