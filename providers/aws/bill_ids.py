"""AWS: the identifiers the Cost and Usage Report / Data Exports (FOCUS) write.

``line_item_resource_id`` (FOCUS ``ResourceId``) is the instance id for EC2 and the ARN
for RDS, SageMaker and ECS (``docs/ledger.md`` cites the sources). SageMaker lowercases
resource names in its ARNs. An Auto Scaling group has no line of its own (its instances
bill as ``i-…``): its ARN names the group without the id offhours does not read, and
its instances' lines carry the AWS-generated cost allocation tag
``aws:autoscaling:groupName`` once it is activated (Amazon EC2 Auto Scaling User Guide,
"Tag Auto Scaling groups and instances"; AWS Billing, "AWS-generated cost allocation
tags").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from providers.bill_ids import BillIdentity

# The group's id (a UUID) is not among what offhours reads: ``*`` stands for it.
_GROUP = "autoScalingGroup:*:autoScalingGroupName"
_Rule = Callable[[str, str, str, Mapping[str, str]], str]


# Region prefixes outside the commercial partition (AWS General Reference, "Amazon
# Resource Names": the partition is ``aws``, ``aws-cn`` or ``aws-us-gov``, ...).
_PARTITIONS: tuple[tuple[str, str], ...] = (
    ("cn-", "aws-cn"),
    ("us-gov-", "aws-us-gov"),
    ("us-isob-", "aws-iso-b"),
    ("us-iso-", "aws-iso"),
)


def _partition(region: str) -> str:
    return next((p for prefix, p in _PARTITIONS if region.startswith(prefix)), "aws")


def _arn(service: str, region: str, account: str, rest: str) -> str:
    return f"arn:{_partition(region)}:{service}:{region}:{account}:{rest}"


_RULES: dict[str, tuple[str, _Rule]] = {
    "ec2": ("Virtual Machine", lambda a, r, i, x: i),
    "rds": (
        "Database Instance",
        lambda a, r, i, x: x.get("arn") or _arn("rds", r, a, f"db:{i}"),
    ),
    "aurora": (
        "Database Cluster",
        lambda a, r, i, x: x.get("arn") or _arn("rds", r, a, f"cluster:{i}"),
    ),
    "asg": (
        "Auto Scaling Group",
        lambda a, r, i, x: _arn("autoscaling", r, a, f"{_GROUP}/{i}"),
    ),
    "ecs": (
        "Container Service",
        lambda a, r, i, x: x.get("arn") or _arn("ecs", r, a, f"service/{i}"),
    ),
    # Its instances bill as ``i-…``, tagged ``eks:nodegroup-name`` by EKS (Amazon EKS User
    # Guide, "Managed node groups"); the ARN's last part, the node group's UUID, is not
    # among what offhours reads (Service Authorization Reference, Amazon EKS resources).
    "eks-nodegroups": (
        "Kubernetes Node Group",
        lambda a, r, i, x: _arn("eks", r, a, f"nodegroup/{i}/*"),
    ),
    "sagemaker-notebooks": (
        "Notebook Instance",
        lambda a, r, i, x: _arn("sagemaker", r, a, f"notebook-instance/{i.lower()}"),
    ),
    "sagemaker-endpoints": (
        "Inference Endpoint",
        lambda a, r, i, x: _arn("sagemaker", r, a, f"endpoint/{i.lower()}"),
    ),
}


def identify(
    account: str, region: str, kind: str, resource_id: str, extra: Mapping[str, str]
) -> BillIdentity:
    if kind not in _RULES or resource_id.startswith("arn:"):
        return BillIdentity(resource_id, _RULES.get(kind, (kind, None))[0])
    display, rule = _RULES[kind]
    return BillIdentity(rule(account, region, resource_id, extra), display)


# A bill's ARN (any partition; the FOCUS sample's are anonymised) -> the kind.
_ARN_KINDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^arn:[^:]+:rds:[^:]*:[^:]*:db:"), "rds"),
    (re.compile(r"^arn:[^:]+:rds:[^:]*:[^:]*:cluster:"), "aurora"),
    (re.compile(r"^arn:[^:]+:ecs:[^:]*:[^:]*:service/"), "ecs"),
    (re.compile(r"^arn:[^:]+:eks:[^:]*:[^:]*:nodegroup/"), "eks-nodegroups"),
    (re.compile(r"^arn:[^:]+:sagemaker:[^:]*:[^:]*:notebook-instance/"), "sagemaker-notebooks"),
    (re.compile(r"^arn:[^:]+:sagemaker:[^:]*:[^:]*:endpoint/"), "sagemaker-endpoints"),
)


def kind_of(bill_id: str) -> str | None:
    if re.match(r"^i-[0-9a-z]+$", bill_id):
        return "ec2"
    return next((kind for pattern, kind in _ARN_KINDS if pattern.match(bill_id)), None)


GROUP_TAG = "aws:autoscaling:groupName"
# ECS tasks launched with managed tags carry their service's name (Amazon ECS Developer
# Guide, "Tagging your resources for billing"); the name alone, so two clusters' services
# of one name in one account and region read as one.
SERVICE_TAG = "aws:ecs:serviceName"
NODEGROUP_TAG = "eks:nodegroup-name"


def member_tag(kind: str, bill_id: str) -> tuple[str, str] | None:
    if kind == "asg":
        return GROUP_TAG, bill_id.rsplit("autoScalingGroupName/", 1)[-1]
    if kind == "ecs":
        return SERVICE_TAG, bill_id.rsplit("/", 1)[-1]
    if kind == "eks-nodegroups":
        return NODEGROUP_TAG, bill_id.rsplit("/", 2)[-2]
    return None
