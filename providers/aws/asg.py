"""Auto Scaling groups: scale to zero and back to exactly the capacity they had.

SCALE_DOWN saves ``{"min": 2, "desired": 3, "max": 5}`` in the restore store
(``providers/restore.py``) and reads it back, then sets min and desired to 0 (max
unchanged); a group already at zero is skipped ("already off"). SCALE_UP restores min,
desired and max from what was saved, then forgets it; nothing saved is a failed start
("no saved size to restore"), never a made-up size.

Discovery filters by tag on the server. Price: instance count x the EC2 unit price of
the launch template / launch configuration instance type; unknown for mixed instance
types or attribute-based selection.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from providers.apply import AlreadyOff, Refused, join_notes
from providers.aws.actions import aws_errors, engine, target_of
from providers.aws.asg_limits import processes_to_pause, unmanaged_reason
from providers.aws.connection import AwsConnection
from providers.aws.instance_types import is_accelerated
from providers.aws.tagging import tag_dict
from providers.base import (
    Action,
    Decision,
    Price,
    Resource,
    ResourceState,
    Result,
    Target,
    chunks,
)
from providers.prices import bundled_price, price_from_tag
from providers.restore import ScalesToZero
from providers.store import StoreError

SERVICE = "Amazon Elastic Compute Cloud"


class AutoScalingGroups(ScalesToZero[AwsConnection]):
    kind = "asg"
    permissions = (
        "autoscaling:DescribeAutoScalingGroups",
        "autoscaling:DescribeLaunchConfigurations",
        "ec2:DescribeLaunchTemplateVersions",
        "autoscaling:UpdateAutoScalingGroup",
        # A group with scaling policies or scheduled actions: paused while it is off.
        "autoscaling:DescribePolicies",
        "autoscaling:DescribeScheduledActions",
        "autoscaling:SuspendProcesses",
        "autoscaling:ResumeProcesses",
    )

    def discover(self, target: Target) -> Iterator[Resource]:
        yield from self._groups(target, [{"Name": "tag-key", "Values": [self.options.tag_key]}])

    def inventory(self, target: Target) -> Iterator[Resource]:
        """Every group, tagged or not (the digest's opportunities)."""
        yield from self._groups(target, [])

    def _groups(self, target: Target, filters: list[dict[str, Any]]) -> Iterator[Resource]:
        autoscaling = self.connection.client("autoscaling", target)
        pages = autoscaling.get_paginator("describe_auto_scaling_groups").paginate(
            Filters=filters, PaginationConfig={"PageSize": 100}
        )
        groups = [g for page in pages for g in page["AutoScalingGroups"]]
        types = _InstanceTypes(self.connection, target, autoscaling, groups)
        for group in groups:
            yield self._resource(target, group, types.of(group))

    def act(self, decisions: Sequence[Decision]) -> Iterable[Result]:
        handlers = {Action.SCALE_DOWN: self._scale_down, Action.SCALE_UP: self._scale_up}
        return engine(self.kind, self.options).run(decisions, handlers)

    def _scale_down(self, decision: Decision) -> str:
        resource = decision.resource
        autoscaling = self.connection.client("autoscaling", target_of(resource))
        # The capacity as it is now, not as discovery saw it: what to restore, or already 0.
        found = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[resource.id])
        if not found["AutoScalingGroups"]:
            raise Refused(f"Auto Scaling group {resource.id} no longer exists")
        group = found["AutoScalingGroups"][0]
        current = {
            "min": int(group["MinSize"]),
            "desired": int(group["DesiredCapacity"]),
            "max": int(group["MaxSize"]),
        }
        if current["desired"] == 0:
            raise AlreadyOff("the group is at zero capacity")
        paused = processes_to_pause(autoscaling, group)
        saving: dict[str, Any] = {**current, "suspended": paused} if paused else current
        # Saved and read back first: without it the group is not scaled down.
        self.restore.save(resource, saving, self.options.clock())
        if paused:
            autoscaling.suspend_processes(AutoScalingGroupName=resource.id, ScalingProcesses=paused)
        autoscaling.update_auto_scaling_group(
            AutoScalingGroupName=resource.id, MinSize=0, DesiredCapacity=0
        )
        return join_notes(
            f"capacity {current['desired']} -> 0 (saved at {self.restore.key(resource)})",
            f"suspended {', '.join(paused)} while off" if paused else "",
        )

    def _scale_up(self, decision: Decision) -> str:
        resource = decision.resource
        saved = self.restore.require(resource)
        autoscaling = self.connection.client("autoscaling", target_of(resource))
        autoscaling.update_auto_scaling_group(
            AutoScalingGroupName=resource.id,
            MinSize=int(saved["min"]),
            MaxSize=int(saved["max"]),
            DesiredCapacity=int(saved["desired"]),
        )
        paused = _suspended(saved)
        if paused:  # only what offhours suspended: its owner's own suspensions stay
            autoscaling.resume_processes(AutoScalingGroupName=resource.id, ScalingProcesses=paused)
        return join_notes(
            f"capacity 0 -> {saved['desired']}",
            f"resumed {', '.join(paused)}" if paused else "",
            self.restore.forget_noted(resource, "saved capacity"),
        )

    def _resource(self, target: Target, group: dict[str, Any], instance_type: str) -> Resource:
        tags = tag_dict(group.get("Tags", []))
        current = {
            "min": group["MinSize"],
            "desired": group["DesiredCapacity"],
            "max": group["MaxSize"],
        }
        resource = Resource(
            provider="aws",
            account=target.account,
            region=target.region,
            kind=self.kind,
            id=group["AutoScalingGroupName"],
            name=group["AutoScalingGroupName"],
            tags=tags,
            state=ResourceState.RUNNING,
            off_state=ResourceState.SCALED_DOWN,
            service=SERVICE,
            unmanaged_reason=unmanaged_reason(group, tags),
            extra={name: str(value) for name, value in current.items()},
        )
        if group.get("Status"):  # "Delete in progress" is the only status AWS reports
            state, count = ResourceState.TRANSITIONAL, current["desired"]
        elif current["desired"] > 0:
            state, count = ResourceState.RUNNING, current["desired"]
        else:
            state, count = ResourceState.SCALED_DOWN, self._saved_desired(resource)
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
        return replace(
            resource,
            state=state,
            size=f"{count} x {instance_type or 'unknown type'}",
            price=price_from_tag(tags) or price,
            accelerator=is_accelerated(instance_type),
        )

    def _saved_desired(self, resource: Resource) -> int:
        """For a group at zero: the size it comes back to (prices the avoided hours)."""
        try:
            saved = self.restore.load(resource)
        except StoreError:
            return 0
        return int((saved or {}).get("desired", 0))


def _suspended(saved: Mapping[str, Any]) -> list[str]:
    """The processes offhours suspended at scale-down."""
    processes = saved.get("suspended", [])
    return [str(p) for p in processes] if isinstance(processes, list) else []


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
