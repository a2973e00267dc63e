"""Auto Scaling groups on moto through the reconcile job: scaled to zero in off hours and
back to exactly their previous min/desired/max, with the capacity saved in the restore
store first, a crash between the two steps, and the ledger rows."""

from __future__ import annotations

from typing import Any

import pytest
from aws_kit import at, make_job, result_for, rows, run, saved, settings_for

from sandbox.aws_fleet import AMI


def make_group(clients: Any, name: str, size: tuple[int, int, int], tags: dict[str, str]) -> None:
    if not clients.ec2.describe_launch_templates(
        Filters=[{"Name": "launch-template-name", "Values": ["workers-lt"]}]
    )["LaunchTemplates"]:
        clients.ec2.create_launch_template(
            LaunchTemplateName="workers-lt",
            LaunchTemplateData={"ImageId": AMI, "InstanceType": "t3.medium"},
        )
    low, desired, high = size
    clients.autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateName": "workers-lt", "Version": "$Latest"},
        MinSize=low,
        DesiredCapacity=desired,
        MaxSize=high,
        AvailabilityZones=["eu-west-1a"],
        Tags=[
            {
                "ResourceId": name,
                "ResourceType": "auto-scaling-group",
                "Key": k,
                "Value": v,
                "PropagateAtLaunch": False,
            }
            for k, v in tags.items()
        ],
    )


def group(clients: Any, name: str) -> tuple[tuple[int, int, int], dict[str, str]]:
    found = clients.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])
    g = found["AutoScalingGroups"][0]
    tags = {t["Key"]: t["Value"] for t in g["Tags"]}
    return (g["MinSize"], g["DesiredCapacity"], g["MaxSize"]), tags


@pytest.fixture
def job(tmp_path: Any, clock: Any, calls: Any, aws: None) -> Any:
    return make_job(settings_for(tmp_path, ["asg"]), clock, calls)


def test_scales_to_zero_and_back_to_exactly_the_previous_capacity(
    clients: Any, job: Any, clock: Any
) -> None:
    make_group(clients, "workers", (2, 3, 5), {"schedule": "office-hours", "team": "web"})
    make_group(clients, "untagged", (1, 1, 2), {"team": "web"})
    report = run(job, clock, at(0, 19, 5))
    assert result_for(report, "workers").outcome.value == "done"
    assert group(clients, "workers") == ((0, 0, 5), {"schedule": "office-hours", "team": "web"})
    assert saved(job, "asg", "workers") == {"min": 2, "desired": 3, "max": 5}
    assert group(clients, "untagged")[0] == (1, 1, 2)
    # Overnight the group stays down; the morning transition brings it back.
    run(job, clock, at(0, 23, 0))
    run(job, clock, at(1, 8, 5))
    assert group(clients, "workers") == ((2, 3, 5), {"schedule": "office-hours", "team": "web"})
    assert saved(job, "asg", "workers") is None

    down, up = rows(job, ResourceName="workers")
    assert (down["x_Action"], up["x_Action"]) == ("scale-down", "scale-up")
    assert down["x_Kind"] == "asg" and down["ServiceName"] == "Amazon Elastic Compute Cloud"
    assert down["x_ResourceSize"] == "3 x t3.medium"
    # Three t3.medium in eu-west-1 from the bundled EC2 table.
    assert up["ListUnitPrice"] == pytest.approx(3 * 0.0462)
    assert up["x_AvoidedHours"] == pytest.approx(13.0)
    assert up["x_EstimatedSavings"] == pytest.approx(13.0 * 3 * 0.0462)


def test_a_crash_after_saving_the_capacity_loses_nothing(
    clients: Any, job: Any, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_group(clients, "workers", (1, 2, 4), {"schedule": "office-hours"})
    autoscaling = job.connections["aws"].client("autoscaling", job.connections["aws"].targets()[0])

    def crash(**_: Any) -> Any:
        raise RuntimeError("simulated crash between saving the capacity and scaling")

    monkeypatch.setattr(autoscaling, "update_auto_scaling_group", crash)
    report = run(job, clock, at(0, 19, 5))
    # Not an SDK error: the outcome is unknown, so no result; the error is reported and
    # the intent stays for the next discovery to confirm.
    assert not [r for r in report.results if r.resource.name == "workers"]
    assert [e for e in report.errors if "simulated crash" in e]
    # The capacity was saved before the update that never happened.
    assert group(clients, "workers") == ((1, 2, 4), {"schedule": "office-hours"})
    assert saved(job, "asg", "workers") == {"min": 1, "desired": 2, "max": 4}
    monkeypatch.undo()
    run(job, clock, at(0, 19, 20))
    assert group(clients, "workers")[0] == (0, 0, 4)
    run(job, clock, at(1, 8, 5))
    assert group(clients, "workers") == ((1, 2, 4), {"schedule": "office-hours"})


def test_a_crash_after_scaling_down_still_restores(
    clients: Any, job: Any, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_group(clients, "workers", (1, 2, 4), {"schedule": "office-hours"})
    autoscaling = job.connections["aws"].client("autoscaling", job.connections["aws"].targets()[0])
    real_update = autoscaling.update_auto_scaling_group

    def update_then_crash(**kwargs: Any) -> Any:
        real_update(**kwargs)
        raise RuntimeError("simulated crash before the result was recorded")

    monkeypatch.setattr(autoscaling, "update_auto_scaling_group", update_then_crash)
    run(job, clock, at(0, 19, 5))
    monkeypatch.undo()
    assert group(clients, "workers")[0] == (0, 0, 4)
    report = run(job, clock, at(0, 19, 20))
    assert "already off" in report.decisions[0].reason
    run(job, clock, at(1, 8, 5))
    assert group(clients, "workers") == ((1, 2, 4), {"schedule": "office-hours"})


def test_a_group_at_zero_with_nothing_saved_is_a_failed_start(
    clients: Any, job: Any, clock: Any
) -> None:
    make_group(clients, "parked", (0, 0, 3), {"schedule": "office-hours"})
    run(job, clock, at(0, 19, 5))  # off: already at zero, nothing to do
    report = run(job, clock, at(1, 8, 5))
    result = result_for(report, "parked")
    assert result.outcome.value == "failed"
    assert result.error.startswith("no saved size to restore")
    assert group(clients, "parked")[0] == (0, 0, 3)


def test_a_capacity_that_cannot_be_saved_leaves_the_group_running(
    clients: Any, job: Any, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from providers.store import StoreUnavailable

    make_group(clients, "workers", (1, 2, 4), {"schedule": "office-hours"})
    real_put = job.store.put

    def put(key: str, data: bytes) -> None:
        if "/restore.json" in key:
            raise StoreUnavailable("store down")
        real_put(key, data)

    monkeypatch.setattr(job.store, "put", put)
    report = run(job, clock, at(0, 19, 5))
    result = result_for(report, "workers")
    assert result.outcome.value == "failed" and "could not be saved" in result.error
    assert group(clients, "workers")[0] == (1, 2, 4)


def test_a_group_scaled_to_zero_by_hand_since_discovery_is_skipped(
    clients: Any, job: Any, clock: Any, calls: Any
) -> None:
    from providers.aws.asg import AutoScalingGroups
    from providers.base import Action, Decision

    make_group(clients, "workers", (1, 2, 4), {"schedule": "office-hours"})
    connection = job.connections["aws"]
    adapter = calls.track(AutoScalingGroups(connection, job.adapters["aws"][0].options))
    (found,) = adapter.discover(connection.targets()[0])
    clients.autoscaling.update_auto_scaling_group(
        AutoScalingGroupName="workers", MinSize=0, DesiredCapacity=0
    )
    (result,) = adapter.apply([Decision(found, Action.SCALE_DOWN, "off")], dry_run=False)
    assert (result.outcome.value, result.detail) == (
        "skipped",
        "already off: the group is at zero capacity",
    )
    assert saved(job, "asg", "workers") is None  # the hand-set zero is not saved as a size
