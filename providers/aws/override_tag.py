"""Snooze on AWS: read one resource's tags live and set its override tag.

EC2 instances and Auto Scaling groups are read through their own describe calls (state,
size, so the ledger row has a list price); the other kinds by ARN through the Resource
Groups Tagging API, which also writes the tag for every kind but Auto Scaling groups
(their tags go through ``CreateOrUpdateTags``). The function's role may only write the
override tag key (template.yaml / infra/terraform/snooze.tf).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from providers.aws.ec2 import _STATES as EC2_STATES
from providers.base import Price, Resource, ResourceState, Target
from providers.override_desk import CannotSnooze, DeskError, ResourceNotFound
from providers.prices import bundled_price, price_from_tag

if TYPE_CHECKING:
    from providers.aws.connection import AwsConnection

# kind -> (ARN after the partition, service name) for the kinds read by ARN; SageMaker
# ARNs carry the name in lowercase.
_BY_ARN: Mapping[str, tuple[str, str]] = {
    "rds": ("rds:{region}:{account}:db:{id}", "Amazon Relational Database Service"),
    "aurora": ("rds:{region}:{account}:cluster:{id}", "Amazon Relational Database Service"),
    "sagemaker-notebooks": (
        "sagemaker:{region}:{account}:notebook-instance/{lower}",
        "Amazon SageMaker",
    ),
    "sagemaker-endpoints": ("sagemaker:{region}:{account}:endpoint/{lower}", "Amazon SageMaker"),
    "ecs": ("ecs:{region}:{account}:service/{id}", "Amazon Elastic Container Service"),
}
_NOT_FOUND = ("InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed", "ValidationError")
PERMISSIONS = (
    "ec2:DescribeInstances",
    "autoscaling:DescribeAutoScalingGroups",
    "tag:GetResources",
    "tag:TagResources",
    "autoscaling:CreateOrUpdateTags",
    "ec2:CreateTags",
    "rds:AddTagsToResource",
    "sagemaker:AddTags",
    "ecs:TagResource",
)


class AwsOverrideDesk:
    provider = "aws"

    def __init__(
        self, client: Callable[[str, str], Any], account: str, partition: str = "aws"
    ) -> None:
        """``client(service, region)`` makes a boto3 client; ``account`` is the one this
        function serves (it assumes no roles)."""
        self.client = client
        self.account = account
        self.partition = partition

    def read(self, account: str, region: str, kind: str, resource_id: str) -> Resource:
        if account != self.account:
            raise CannotSnooze(f"this snooze function serves account {self.account}, not {account}")
        try:
            if kind == "ec2":
                return self._ec2(region, resource_id)
            if kind == "asg":
                return self._asg(region, resource_id)
            if kind in _BY_ARN:
                return self._by_arn(region, kind, resource_id)
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            if code in _NOT_FOUND:
                raise ResourceNotFound(f"no {kind} {resource_id!r} in {region}") from err
            raise DeskError(f"{code}: {err}") from err
        except BotoCoreError as err:
            raise DeskError(str(err)) from err
        raise CannotSnooze(f"a snooze link cannot keep a {kind!r} resource running")

    def write_override(self, resource: Resource, key: str, value: str) -> None:
        try:
            if resource.kind == "asg":
                self.client("autoscaling", resource.region).create_or_update_tags(
                    Tags=[
                        {
                            "ResourceId": resource.id,
                            "ResourceType": "auto-scaling-group",
                            "Key": key,
                            "Value": value,
                            "PropagateAtLaunch": False,
                        }
                    ]
                )
                return
            answer = self.client("resourcegroupstaggingapi", resource.region).tag_resources(
                ResourceARNList=[self.arn(resource.region, resource.kind, resource.id)],
                Tags={key: value},
            )
        except (ClientError, BotoCoreError) as err:
            raise DeskError(str(err)) from err
        failed = answer.get("FailedResourcesMap") or {}
        if failed:
            problem = next(iter(failed.values()))
            raise DeskError(f"{problem.get('ErrorCode', '')}: {problem.get('ErrorMessage', '')}")

    def arn(self, region: str, kind: str, resource_id: str) -> str:
        if kind == "ec2":
            part = f"ec2:{region}:{self.account}:instance/{resource_id}"
        else:
            part = _BY_ARN[kind][0].format(
                region=region, account=self.account, id=resource_id, lower=resource_id.lower()
            )
        return f"arn:{self.partition}:{part}"

    def _ec2(self, region: str, resource_id: str) -> Resource:
        answer = self.client("ec2", region).describe_instances(InstanceIds=[resource_id])
        found = [i for r in answer.get("Reservations", []) for i in r.get("Instances", [])]
        if not found:
            raise ResourceNotFound(f"no ec2 instance {resource_id!r} in {region}")
        instance = found[0]
        tags = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
        size = instance["InstanceType"]
        price = price_from_tag(tags) or bundled_price(
            "providers.aws", "ec2_prices.json", region, size
        )
        state = EC2_STATES.get(instance["State"]["Name"], ResourceState.TRANSITIONAL)
        return self._resource(
            region, "ec2", resource_id, tags, state, size, price, "Amazon Elastic Compute Cloud"
        )

    def _asg(self, region: str, name: str) -> Resource:
        answer = self.client("autoscaling", region).describe_auto_scaling_groups(
            AutoScalingGroupNames=[name]
        )
        groups = answer.get("AutoScalingGroups", [])
        if not groups:
            raise ResourceNotFound(f"no Auto Scaling group {name!r} in {region}")
        group = groups[0]
        tags = {t["Key"]: t["Value"] for t in group.get("Tags", [])}
        state = ResourceState.RUNNING if group["DesiredCapacity"] else ResourceState.SCALED_DOWN
        return self._resource(
            region,
            "asg",
            name,
            tags,
            state,
            str(group["DesiredCapacity"]),
            price_from_tag(tags),
            "Amazon EC2 Auto Scaling",
        )

    def _by_arn(self, region: str, kind: str, resource_id: str) -> Resource:
        arn = self.arn(region, kind, resource_id)
        answer = self.client("resourcegroupstaggingapi", region).get_resources(
            ResourceARNList=[arn]
        )
        mappings = answer.get("ResourceTagMappingList", [])
        if not mappings:
            raise ResourceNotFound(f"no {kind} {resource_id!r} in {region}")
        tags = {t["Key"]: t["Value"] for t in mappings[0].get("Tags", [])}
        # The tagging API tells no state or size: the price is the hourly-cost tag's, if any.
        return self._resource(
            region,
            kind,
            resource_id,
            tags,
            ResourceState.RUNNING,
            "",
            price_from_tag(tags),
            _BY_ARN[kind][1],
        )

    def _resource(
        self,
        region: str,
        kind: str,
        resource_id: str,
        tags: dict[str, str],
        state: ResourceState,
        size: str,
        price: Price | None,
        service: str,
    ) -> Resource:
        return Resource(
            provider="aws",
            account=self.account,
            region=region,
            kind=kind,
            id=resource_id,
            name=tags.get("Name", resource_id),
            tags=tags,
            state=state,
            size=size,
            price=price,
            service=service,
        )


def desk_for(
    connection: AwsConnection, resource: Resource, clock: Callable[[], Any]
) -> AwsOverrideDesk:
    """The desk for ``resource`` through a scheduler's connection (its member-account
    role and endpoint)."""
    target = Target("aws", resource.account, resource.region)

    def client(service: str, region: str) -> Any:
        return connection.client(service, target)

    return AwsOverrideDesk(client, resource.account)
