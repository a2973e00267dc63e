"""Each kind's ledger ResourceId is the id its cloud's bill writes (docs/ledger.md,
"Identifiers the bill uses", cites the public source of each form)."""

from __future__ import annotations

import pytest

from providers import KINDS
from providers.bill_ids import identify

ACCOUNT, REGION = "123456789012", "eu-west-1"

CASES = [
    ("aws", "ec2", "i-0abc", {}, "i-0abc", "Virtual Machine"),
    (
        "aws",
        "rds",
        "dev-postgres",
        {},
        f"arn:aws:rds:{REGION}:{ACCOUNT}:db:dev-postgres",
        "Database Instance",
    ),
    (
        "aws",
        "aurora",
        "dev-aurora",
        {"arn": f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:dev-aurora"},
        f"arn:aws:rds:{REGION}:{ACCOUNT}:cluster:dev-aurora",
        "Database Cluster",
    ),
    (
        "aws",
        "ecs",
        "dev/api",
        {},
        f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/dev/api",
        "Container Service",
    ),
    (
        "aws",
        "sagemaker-endpoints",
        "Idle-Endpoint",
        {},
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/idle-endpoint",
        "Inference Endpoint",
    ),
    (
        "aws",
        "sagemaker-notebooks",
        "nb",
        {},
        f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/nb",
        "Notebook Instance",
    ),
    (
        "gcp",
        "instances",
        "projects/p/zones/europe-west4-a/instances/vm-1",
        {},
        "//compute.googleapis.com/projects/p/zones/europe-west4-a/instances/vm-1",
        "Virtual Machine",
    ),
    (
        "azure",
        "vms",
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm",
        {},
        "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm",
        "Virtual Machine",
    ),
]


@pytest.mark.parametrize(("provider", "kind", "rid", "extra", "billed", "display"), CASES)
def test_bill_identity(
    provider: str, kind: str, rid: str, extra: dict[str, str], billed: str, display: str
) -> None:
    found = identify(provider, ACCOUNT, REGION, kind, rid, extra)
    assert (found.resource_id, found.resource_type) == (billed, display)


def test_every_registered_kind_has_a_focus_display_name() -> None:
    for provider, kinds in KINDS.items():
        for kind in kinds:
            display = identify(provider, ACCOUNT, REGION, kind, "x").resource_type
            assert display != kind and display[0].isupper(), (provider, kind)


def test_an_id_already_in_the_bill_form_is_kept() -> None:
    arn = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/dev/api"
    assert identify("aws", ACCOUNT, REGION, "ecs", arn).resource_id == arn


def test_an_eks_node_group_is_matched_through_its_instances_tag() -> None:
    """Amazon EKS User Guide, "Managed node groups": EKS tags a node group's instances
    ``eks:nodegroup-name``; the node group's ARN ends in a UUID offhours does not read."""
    from providers.aws.bill_ids import identify, kind_of, member_tag

    found = identify("123456789012", "eu-west-1", "eks-nodegroups", "dev/gpu-nodes", {})
    assert found.resource_id == "arn:aws:eks:eu-west-1:123456789012:nodegroup/dev/gpu-nodes/*"
    assert found.resource_type == "Kubernetes Node Group"
    assert kind_of(found.resource_id) == "eks-nodegroups"
    assert member_tag("eks-nodegroups", found.resource_id) == ("eks:nodegroup-name", "gpu-nodes")
