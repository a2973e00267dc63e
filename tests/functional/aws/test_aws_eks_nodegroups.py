"""EKS managed node groups on moto through the reconcile job: scaled to zero through the
EKS API and back to exactly their sizes, while the Auto Scaling group EKS manages for
them is left alone; the ledger rows."""

from __future__ import annotations

from typing import Any

import pytest
from aws_kit import ACCOUNT, at, decision_for, make_job, result_for, rows, run, saved, settings_for
from test_aws_asg import group, make_group

from sandbox.aws_limits import eks_updates_take_time

OFFICE = {"schedule": "office-hours"}


@pytest.fixture
def job(tmp_path: Any, clock: Any, calls: Any, aws: None) -> Any:
    return make_job(settings_for(tmp_path, ["eks-nodegroups", "asg"]), clock, calls)


def make_nodegroup(
    clients: Any, name: str, sizes: tuple[int, int, int], tags: dict[str, str]
) -> str:
    """A node group and, as EKS makes one for it, its Auto Scaling group (moto does not
    create it) carrying the EKS tags and the cluster's schedule tag. Returns its name."""
    eks = clients.eks
    if "dev" not in eks.list_clusters()["clusters"]:
        eks.create_cluster(
            name="dev",
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/eks",
            resourcesVpcConfig={"subnetIds": ["subnet-1"]},
        )
    low, desired, high = sizes
    found = eks.create_nodegroup(
        clusterName="dev",
        nodegroupName=name,
        nodeRole=f"arn:aws:iam::{ACCOUNT}:role/nodes",
        subnets=["subnet-1"],
        scalingConfig={"minSize": low, "maxSize": high, "desiredSize": desired},
        instanceTypes=["t3.medium"],
        tags=tags,
    )["nodegroup"]
    asg_name: str = found["resources"]["autoScalingGroups"][0]["name"]
    eks_tags = {**OFFICE, "eks:cluster-name": "dev", "eks:nodegroup-name": name}
    make_group(clients, asg_name, sizes, eks_tags)
    return asg_name


def sizes(clients: Any, name: str) -> tuple[int, int, int]:
    found = clients.eks.describe_nodegroup(clusterName="dev", nodegroupName=name)
    config = found["nodegroup"]["scalingConfig"]
    return config["minSize"], config["desiredSize"], config["maxSize"]


def test_a_node_group_scales_to_zero_through_eks_and_its_group_is_left_alone(
    clients: Any, job: Any, clock: Any
) -> None:
    """EKS API 2017-11-01, UpdateNodegroupConfig (scalingConfig minSize >= 0, maxSize >= 1,
    desiredSize >= 0); EKS User Guide, "Managed node groups": the node group's Auto Scaling
    group carries ``eks:cluster-name`` and ``eks:nodegroup-name``."""
    behind = make_nodegroup(clients, "gpu-nodes", (1, 2, 4), {**OFFICE, "team": "ml"})
    report = run(job, clock, at(0, 19, 5))
    assert result_for(report, "gpu-nodes").outcome.value == "done"
    assert decision_for(report, behind).reason.startswith("EKS node group gpu-nodes:")
    assert sizes(clients, "gpu-nodes") == (0, 0, 4)
    assert saved(job, "eks-nodegroups", "dev/gpu-nodes") == {"min": 1, "desired": 2, "max": 4}
    run(job, clock, at(0, 23, 0))
    run(job, clock, at(1, 8, 5))
    assert sizes(clients, "gpu-nodes") == (1, 2, 4)
    assert saved(job, "eks-nodegroups", "dev/gpu-nodes") is None
    # The Auto Scaling group EKS manages never changed, and nothing was booked for it.
    assert group(clients, behind)[0] == (1, 2, 4)
    assert rows(job, ResourceName=behind) == []
    down, up = rows(job, ResourceName="gpu-nodes")
    assert (down["x_Action"], up["x_Action"]) == ("scale-down", "scale-up")
    assert down["x_ResourceSize"] == "2 x t3.medium"
    # Two t3.medium in eu-west-1 from the bundled EC2 table.
    assert up["ListUnitPrice"] == pytest.approx(2 * 0.0462)
    assert up["x_AvoidedHours"] == pytest.approx(13.0)


def test_an_untagged_node_group_is_not_scheduled(clients: Any, job: Any, clock: Any) -> None:
    make_nodegroup(clients, "system", (2, 2, 3), {"team": "platform"})
    run(job, clock, at(0, 19, 5))
    assert sizes(clients, "system") == (2, 2, 3)
    assert rows(job, ResourceName="system") == []


def test_an_update_eks_has_not_finished_is_accepted_and_booked_when_observed(
    clients: Any, job: Any, clock: Any
) -> None:
    """EKS API 2017-11-01, UpdateNodegroupConfig answers an Update whose status is
    ``InProgress`` while the node group is ``UPDATING``; the fake holds it there until EKS
    "finishes". The scale-down is ``accepted`` until a discovery sees the node group
    ``ACTIVE`` at zero; the off-period opens at the accepted instant."""
    make_nodegroup(clients, "batch", (0, 3, 5), OFFICE)
    with eks_updates_take_time() as finish:
        report = run(job, clock, at(0, 19, 5))
        assert result_for(report, "batch").outcome.value == "accepted"
        later = run(job, clock, at(0, 19, 20))  # still updating: no action, no booking
        assert decision_for(later, "batch").action.value == "skip"
        finish()
        run(job, clock, at(0, 19, 35))
        run(job, clock, at(1, 8, 5))
        # A restore in progress keeps what it restores from, in case EKS fails it.
        assert saved(job, "eks-nodegroups", "dev/batch") == {"min": 0, "desired": 3, "max": 5}
        finish()
        run(job, clock, at(1, 8, 20))
    assert sizes(clients, "batch") == (0, 3, 5)
    seen = [(r["x_Action"], r["x_Outcome"]) for r in rows(job, ResourceName="batch")]
    assert seen == [
        ("scale-down", "accepted"),
        ("scale-down", "done"),
        ("scale-up", "accepted"),
        ("scale-up", "done"),
    ]
    (booked,) = rows(job, ResourceName="batch", x_Action="scale-up", x_Outcome="done")
    assert (booked["ChargePeriodStart"], booked["ChargePeriodEnd"]) == (
        "2026-11-23T19:05:00Z",
        "2026-11-24T08:05:00Z",
    )
    assert booked["x_AvoidedHours"] == pytest.approx(13.0)
