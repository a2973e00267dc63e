"""Auto Scaling groups: scale to zero and back to exactly the capacity they had.

SCALE_DOWN first writes ``offhours:previous-capacity = min=2,desired=3,max=5`` on the
group, then sets min and desired to 0 (max unchanged). SCALE_UP restores min, desired and
max from the tag, then removes the tag: the tag means "offhours scaled this group down
and here is what to restore", so a group someone later scales to zero by hand is not
mistaken for one of ours, and a capacity changed during the day is saved afresh at the
next scale-down. If the tag cannot be removed the restore still counts; the stale tag is
harmless (a group with capacity is "running" whatever its tags say, and the next
scale-down rewrites it).

Discovery filters by tag on the server. Price: instance count x the EC2 unit price of
the launch template / launch configuration instance type; unknown for mixed instance
types or attribute-based selection.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from providers.aws.actions import ActionError, apply_each, aws_errors, target_of
from providers.aws.batches import error_text
from providers.aws.capacity import PREVIOUS_CAPACITY_TAG, format_capacity, parse_capacity
from providers.aws.connection import AwsConnection
from providers.aws.tagging import tag_dict
from providers.base import (
    Action,
    AdapterOptions,
    Decision,
    Price,
    Resource,
    ResourceState,
    Result,
    Target,
    chunks,
    dry_run_results,
)
from providers.prices import bundled_price, price_from_tag

SERVICE = "Amazon Elastic Compute Cloud"
_FIELDS = ("min", "desired", "max")


class AutoScalingGroups:
    kind = "asg"
    permissions = (
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:DescribeLaunchConfigurations",
        "ec2:DescribeLaunchTemplateVersions",
        "autoscaling:CreateOrUpdateTags",
        "autoscaling:UpdateAutoScalingGroup",
        "autoscaling:DeleteTags",
    )

    def __init__(self, connection: AwsConnection, options: AdapterOptions) -> None:
        self.connection = connection
        self.options = options

    def discover(self, target: Target) -> Iterator[Resource]:
        autoscaling = self.connection.client("autoscaling", target)
        pages = autoscaling.get_paginator("describe_auto_scaling_groups").paginate(
            Filters=[{"Name": "tag-key", "Values": [self.options.tag_key]}],
            PaginationConfig={"PageSize": 100},
        )
        groups = [g for page in pages for g in page["AutoScalingGroups"]]
        types = _InstanceTypes(self.connection, target, autoscaling, groups)
        for group in groups:
            yield self._resource(target, group, types.of(group))

    def apply(self, decisions: Sequence[Decision], dry_run: bool) -> Iterable[Result]:
        if dry_run:
            return dry_run_results(decisions, self.options.clock())
        handlers = {Action.SCALE_DOWN: self._scale_down, Action.SCALE_UP: self._scale_up}
        return apply_each(decisions, handlers, self.options.clock, self.kind)

    def _scale_down(self, decision: Decision) -> str:
        resource = decision.resource
        current = {name: int(resource.extra[name]) for name in _FIELDS}
        if current["desired"] == 0:
            raise ActionError("already at zero capacity: nothing to scale down")
        autoscaling = self.connection.client("autoscaling", target_of(resource))
        # The capacity to restore goes on the group first: a crash after this call and
        # before the next loses nothing.
        autoscaling.create_or_update_tags(Tags=[_tag(resource.id, format_capacity(current))])
        autoscaling.update_auto_scaling_group(
            AutoScalingGroupName=resource.id, MinSize=0, DesiredCapacity=0
        )
        return ""

    def _scale_up(self, decision: Decision) -> str:
        resource = decision.resource
        try:
            saved = parse_capacity(resource.tags.get(PREVIOUS_CAPACITY_TAG, ""), _FIELDS)
        except ValueError as err:
            raise ActionError(f"no previous capacity to restore: {err}") from err
        autoscaling = self.connection.client("autoscaling", target_of(resource))
        autoscaling.update_auto_scaling_group(
            AutoScalingGroupName=resource.id,
            MinSize=saved["min"],
            MaxSize=saved["max"],
            DesiredCapacity=saved["desired"],
        )
        try:
            autoscaling.delete_tags(Tags=[_tag(resource.id, "")])
        except aws_errors() as err:
            return f"restored; {PREVIOUS_CAPACITY_TAG} tag not removed ({error_text(err)})"
        return ""

    def _resource(self, target: Target, group: dict[str, Any], instance_type: str) -> Resource:
        tags = tag_dict(group.get("Tags", []))
        current = {
            "min": group["MinSize"],
            "desired": group["DesiredCapacity"],
            "max": group["MaxSize"],
        }
        state, count, unmanaged = _state(group, current, tags.get(PREVIOUS_CAPACITY_TAG))
        unit = (
            bundled_price("providers.aws", "ec2_prices.json", target.region, instance_type)
            if instance_type
            else None
        )
        price = (
            None
            if unit is None
            else Price(round(unit.hourly * count, 6), unit.currency, unit.source)
        )
        return Resource(
            provider="aws",
            account=target.account,
            region=target.region,
            kind=self.kind,
            id=group["AutoScalingGroupName"],
            name=group["AutoScalingGroupName"],
            tags=tags,
            state=state,
            size=f"{count} x {instance_type or 'unknown type'}",
            price=price_from_tag(tags) or price,
            unmanaged_reason=unmanaged,
            off_state=ResourceState.SCALED_DOWN,
            service=SERVICE,
            extra={name: str(value) for name, value in current.items()},
        )


def _state(
    group: dict[str, Any], current: dict[str, int], saved_text: str | None
) -> tuple[ResourceState, int, str]:
    """State, instance count to price, and why the group must be left alone (if so)."""
    if group.get("Status"):  # "Delete in progress" is the only status AWS reports
        return ResourceState.TRANSITIONAL, current["desired"], ""
    if current["desired"] > 0:
        return ResourceState.RUNNING, current["desired"], ""
    if saved_text is None:
        return (
            ResourceState.SCALED_DOWN,
            0,
            "at zero capacity and no previous capacity saved by offhours: nothing to restore",
        )
    try:
        saved = parse_capacity(saved_text, _FIELDS)
    except ValueError as err:
        return ResourceState.SCALED_DOWN, 0, f"cannot restore: {err}"
    return ResourceState.SCALED_DOWN, saved["desired"], ""


def _tag(group: str, value: str) -> dict[str, Any]:
    return {
        "ResourceId": group,
        "ResourceType": "auto-scaling-group",
        "Key": PREVIOUS_CAPACITY_TAG,
        "Value": value,
        "PropagateAtLaunch": False,
    }


class _InstanceTypes:
    """The single instance type each group launches, from its launch template (the
    version the group uses) or launch configuration; "" when not one known type."""

    def __init__(
        self, connection: AwsConnection, target: Target, autoscaling: Any, groups: list[Any]
    ) -> None:
        self.connection = connection
        self.target = target
        self.templates: dict[tuple[str, str], str] = {}
        names = sorted(
            {g["LaunchConfigurationName"] for g in groups if g.get("LaunchConfigurationName")}
        )
        self.configurations: dict[str, str] = {}
        for batch in chunks(names, 50):
            response = autoscaling.describe_launch_configurations(
                LaunchConfigurationNames=list(batch)
            )
            for config in response["LaunchConfigurations"]:
                self.configurations[config["LaunchConfigurationName"]] = config["InstanceType"]

    def of(self, group: dict[str, Any]) -> str:
        if group.get("LaunchConfigurationName"):
            return self.configurations.get(group["LaunchConfigurationName"], "")
        if group.get("LaunchTemplate"):
            return self._template(group["LaunchTemplate"])
        mixed = group.get("MixedInstancesPolicy", {}).get("LaunchTemplate", {})
        overrides = {o.get("InstanceType", "") for o in mixed.get("Overrides", [])}
        if overrides:
            return overrides.pop() if len(overrides) == 1 else ""
        spec = mixed.get("LaunchTemplateSpecification")
        return self._template(spec) if spec else ""

    def _template(self, spec: dict[str, Any]) -> str:
        template = spec.get("LaunchTemplateId") or spec.get("LaunchTemplateName", "")
        version = spec.get("Version") or "$Default"
        key = (template, version)
        if key not in self.templates:
            self.templates[key] = self._read_template(spec, version)
        return self.templates[key]

    def _read_template(self, spec: dict[str, Any], version: str) -> str:
        ec2 = self.connection.client("ec2", self.target)
        which = (
            {"LaunchTemplateId": spec["LaunchTemplateId"]}
            if spec.get("LaunchTemplateId")
            else {"LaunchTemplateName": spec["LaunchTemplateName"]}
        )
        try:
            versions = ec2.describe_launch_template_versions(**which, Versions=[version])
        except aws_errors():  # a deleted template: the price is unknown, not an error
            return ""
        found = versions["LaunchTemplateVersions"]
        return str(found[0]["LaunchTemplateData"].get("InstanceType", "")) if found else ""
