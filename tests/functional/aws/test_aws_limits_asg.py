"""Auto Scaling groups offhours must not scale, or must hold at zero, through the reconcile
job on moto: the plan's reason, the group's real sizes and processes afterwards, and the
ledger."""

from __future__ import annotations

from typing import Any

import pytest
from aws_kit import at, decision_for, make_job, rows, run, saved, settings_for
from test_aws_asg import group, make_group

OFFICE = {"schedule": "office-hours"}


@pytest.fixture
def job(tmp_path: Any, clock: Any, calls: Any, aws: None) -> Any:
    return make_job(settings_for(tmp_path, ["asg"]), clock, calls)


def suspended(clients: Any, name: str) -> set[str]:
    found = clients.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])
    return {p["ProcessName"] for p in found["AutoScalingGroups"][0]["SuspendedProcesses"]}


def test_a_group_behind_an_eks_managed_node_group_is_left_to_eks(
    clients: Any, job: Any, clock: Any
) -> None:
    """EKS User Guide, "Managed node groups": the node group's Auto Scaling group carries
    ``eks:cluster-name`` and ``eks:nodegroup-name`` and is changed through the node group
    (UpdateNodegroupConfig, EKS API 2017-11-01), not through Auto Scaling."""
    eks_tags = {**OFFICE, "eks:cluster-name": "dev", "eks:nodegroup-name": "gpu-nodes"}
    make_group(clients, "eks-gpu-nodes-a1b2", (1, 2, 4), eks_tags)
    report = run(job, clock, at(0, 19, 5))
    assert decision_for(report, "eks-gpu-nodes-a1b2").reason == (
        "EKS node group gpu-nodes: schedule the node group (kind eks-nodegroups), "
        "not the Auto Scaling group EKS manages"
    )
    run(job, clock, at(1, 8, 5))
    assert group(clients, "eks-gpu-nodes-a1b2")[0] == (1, 2, 4)
    assert rows(job, ResourceName="eks-gpu-nodes-a1b2") == []
    assert saved(job, "asg", "eks-gpu-nodes-a1b2") is None


def test_a_group_whose_warm_pool_runs_its_instances_is_skipped(
    clients: Any, job: Any, clock: Any
) -> None:
    """Auto Scaling API 2011-01-01, PutWarmPool: without MaxGroupPreparedCapacity the pool
    holds the group's maximum minus its desired capacity, in ``PoolState`` (Running bills
    the instances); at desired 0 a running pool would hold the maximum."""
    make_group(clients, "warm", (1, 2, 6), OFFICE)
    clients.autoscaling.put_warm_pool(AutoScalingGroupName="warm", PoolState="Running")
    make_group(clients, "cold", (1, 2, 6), OFFICE)
    clients.autoscaling.put_warm_pool(AutoScalingGroupName="cold", PoolState="Stopped")
    report = run(job, clock, at(0, 19, 5))
    assert decision_for(report, "warm").reason.startswith("warm pool keeps its instances running")
    assert group(clients, "warm")[0] == (1, 2, 6)
    assert group(clients, "cold")[0] == (0, 0, 6)  # a stopped pool bills only its volumes
    run(job, clock, at(1, 8, 5))
    assert rows(job, ResourceName="warm") == []
    assert [r["x_Action"] for r in rows(job, ResourceName="cold")] == ["scale-down", "scale-up"]


def test_scaling_policies_and_scheduled_actions_are_paused_while_the_group_is_off(
    clients: Any, job: Any, clock: Any
) -> None:
    """Auto Scaling User Guide, "Suspend and resume Amazon EC2 Auto Scaling processes":
    ``AlarmNotification`` suspended stops alarm-driven policies, ``ScheduledActions``
    suspended stops scheduled actions; a policy never goes below the minimum, which is 0
    while the group is off. The owner's own suspension (``AZRebalance``) stays."""
    make_group(clients, "queue-workers", (2, 3, 8), OFFICE)
    clients.autoscaling.put_scaling_policy(
        AutoScalingGroupName="queue-workers",
        PolicyName="backlog",
        PolicyType="SimpleScaling",
        AdjustmentType="ChangeInCapacity",
        ScalingAdjustment=2,
    )
    clients.autoscaling.suspend_processes(
        AutoScalingGroupName="queue-workers", ScalingProcesses=["AZRebalance"]
    )
    run(job, clock, at(0, 19, 5))
    assert group(clients, "queue-workers")[0] == (0, 0, 8)
    assert suspended(clients, "queue-workers") == {
        "AZRebalance",
        "AlarmNotification",
        "ScheduledActions",
    }
    assert saved(job, "asg", "queue-workers") == {
        "min": 2,
        "desired": 3,
        "max": 8,
        "suspended": ["AlarmNotification", "ScheduledActions"],
    }
    run(job, clock, at(1, 8, 5))
    assert group(clients, "queue-workers")[0] == (2, 3, 8)
    assert suspended(clients, "queue-workers") == {"AZRebalance"}
    up = rows(job, ResourceName="queue-workers", x_Action="scale-up")[0]
    assert up["x_AvoidedHours"] == pytest.approx(13.0)


def test_a_group_whose_instances_are_protected_from_scale_in_is_skipped(
    clients: Any, job: Any, clock: Any
) -> None:
    """Auto Scaling User Guide, "Use instance scale-in protection": when the desired
    capacity drops, the group cannot terminate protected instances until their protection
    is removed (moto keeps them too): at desired 0 they would keep running and billing."""
    make_group(clients, "pinned", (1, 2, 4), OFFICE)
    found = clients.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=["pinned"])
    ids = [i["InstanceId"] for i in found["AutoScalingGroups"][0]["Instances"]]
    clients.autoscaling.set_instance_protection(
        AutoScalingGroupName="pinned", InstanceIds=ids[:1], ProtectedFromScaleIn=True
    )
    report = run(job, clock, at(0, 19, 5))
    assert decision_for(report, "pinned").reason == (
        "1 instance(s) protected from scale-in: at desired 0 Auto Scaling cannot terminate "
        "them and they keep running"
    )
    run(job, clock, at(1, 8, 5))
    assert group(clients, "pinned")[0] == (1, 2, 4)
    assert rows(job, ResourceName="pinned") == []
