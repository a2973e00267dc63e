"""ECS services: desired count to zero and back to exactly the count they had.

SCALE_DOWN saves ``{"desired": 3}`` in the restore store (``providers/restore.py``) and
reads it back, then sets the desired count to 0; SCALE_UP sets it back from what was saved,
never a made-up 1 (see ``asg.py``).

ECS cannot filter by tag on the server: every cluster's services are listed and described
ten at a time with their tags, and filtered here. Price: running tasks x the Fargate
vCPU and memory rates of the task size; unknown for the EC2 launch type (the instances
bill under EC2 and only stop costing when their own group scales down), Fargate Spot
and Windows tasks.

A service under Service Auto Scaling whose scalable target's minimum is above 0 would be
raised back to it by Application Auto Scaling: the minimum is saved with the count
(``{"desired": 3, "scaling_min": 2}``), set to 0 while the service is off, and put back
after the count (``providers/aws/ecs_scaling.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from providers.apply import AlreadyOff, Refused, join_notes
from providers.aws.actions import engine, target_of
from providers.aws.connection import AwsConnection
from providers.aws.ecs_scaling import scaling_minimum, set_minimum
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
    tagged,
)
from providers.prices import bundled_price, price_from_tag
from providers.restore import ScalesToZero
from providers.store import StoreError

SERVICE = "Amazon Elastic Container Service"
PRICES = "ecs_fargate_prices.json"
_DESCRIBE_BATCH = 10  # describe_services takes at most 10 services per call


class EcsServices(ScalesToZero[AwsConnection]):
    kind = "ecs"
    permissions = (
        "ecs:ListClusters",
        "ecs:ListServices",
        "ecs:DescribeServices",
        "ecs:DescribeTaskDefinition",
        "ecs:UpdateService",
        # A Service Auto Scaling minimum above 0 is lowered while the service is off.
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:RegisterScalableTarget",
    )

    def discover(self, target: Target) -> list[Resource]:
        return tagged(self._services(target), self.options.tag_key)

    def inventory(self, target: Target) -> Iterator[Resource]:
        """Every service, tagged or not (the digest's opportunities). Fargate tasks run
        on no accelerator; GPUs on the EC2 launch type bill under the instances' group."""
        yield from self._services(target)

    def _services(self, target: Target) -> Iterator[Resource]:
        ecs = self.connection.client("ecs", target)
        sizes = _TaskSizes(ecs)
        for cluster in _paginate(ecs, "list_clusters", "clusterArns"):
            arns = list(_paginate(ecs, "list_services", "serviceArns", cluster=cluster))
            for batch in chunks(arns, _DESCRIBE_BATCH):
                response = ecs.describe_services(
                    cluster=cluster, services=list(batch), include=["TAGS"]
                )
                for service in response["services"]:
                    tags = tag_dict(service.get("tags", []), "key", "value")
                    yield self._resource(target, service, tags, sizes)

    def act(self, decisions: Sequence[Decision]) -> Iterable[Result]:
        handlers = {Action.SCALE_DOWN: self._scale_down, Action.SCALE_UP: self._scale_up}
        return engine(self.kind, self.options).run(decisions, handlers)

    def _scale_down(self, decision: Decision) -> str:
        resource = decision.resource
        ecs = self.connection.client("ecs", target_of(resource))
        # The count as it is now, not as discovery saw it: what to restore, or already 0.
        found = ecs.describe_services(
            cluster=resource.extra["cluster"], services=[resource.extra["arn"]]
        )["services"]
        if not found:
            raise Refused(f"ECS service {resource.id} no longer exists")
        desired = int(found[0]["desiredCount"])
        if desired == 0:
            raise AlreadyOff("desired count is 0")
        scaling = self.connection.client("application-autoscaling", target_of(resource))
        minimum = scaling_minimum(scaling, resource.id)
        # Saved and read back first: without it the service is not scaled down.
        self.restore.save(resource, {"desired": desired, **minimum}, self.options.clock())
        if minimum:
            set_minimum(scaling, resource.id, 0)
        ecs.update_service(
            cluster=resource.extra["cluster"], service=resource.extra["arn"], desiredCount=0
        )
        return join_notes(
            f"desired count {desired} -> 0 (saved at {self.restore.key(resource)})",
            f"scaling minimum {minimum['scaling_min']} -> 0" if minimum else "",
        )

    def _scale_up(self, decision: Decision) -> str:
        resource = decision.resource
        saved = self.restore.require(resource)
        ecs = self.connection.client("ecs", target_of(resource))
        ecs.update_service(
            cluster=resource.extra["cluster"],
            service=resource.extra["arn"],
            desiredCount=int(saved["desired"]),
        )
        # After the count, so Application Auto Scaling finds it inside the range.
        minimum = int(saved.get("scaling_min", 0))
        if minimum:
            scaling = self.connection.client("application-autoscaling", target_of(resource))
            set_minimum(scaling, resource.id, minimum)
        return join_notes(
            f"desired count 0 -> {saved['desired']}",
            f"scaling minimum 0 -> {minimum}" if minimum else "",
            self.restore.forget_noted(resource, "saved count"),
        )

    def _state(
        self, target: Target, service: dict[str, Any], desired: int
    ) -> tuple[ResourceState, int]:
        """State, and the task count to price (for a service at 0: what it comes back to)."""
        if service.get("status", "ACTIVE") != "ACTIVE":
            return ResourceState.TRANSITIONAL, desired
        if desired > 0:
            return ResourceState.RUNNING, desired
        cluster_name = service["clusterArn"].rsplit("/", 1)[-1]
        probe = Resource(
            "aws",
            target.account,
            target.region,
            self.kind,
            f"{cluster_name}/{service['serviceName']}",
            "",
            {},
            ResourceState.SCALED_DOWN,
        )
        try:
            saved = self.restore.load(probe)
        except StoreError:
            saved = None
        return ResourceState.SCALED_DOWN, int((saved or {}).get("desired", 0))

    def _resource(
        self, target: Target, service: dict[str, Any], tags: dict[str, str], sizes: _TaskSizes
    ) -> Resource:
        cluster_name = service["clusterArn"].rsplit("/", 1)[-1]
        desired = int(service["desiredCount"])
        state, tasks = self._state(target, service, desired)
        unit = sizes.hourly(service, target.region)
        price = (
            None
            if unit is None
            else Price(round(unit.hourly * tasks, 6), unit.currency, unit.source)
        )
        size = sizes.label(service)
        return Resource(
            provider="aws",
            account=target.account,
            region=target.region,
            kind=self.kind,
            id=f"{cluster_name}/{service['serviceName']}",
            name=service["serviceName"],
            tags=tags,
            state=state,
            size=f"{tasks} x {size}" if size else f"{tasks} tasks",
            price=price_from_tag(tags) or price,
            off_state=ResourceState.SCALED_DOWN,
            service=SERVICE,
            unmanaged_reason=_unmanaged_reason(service),
            extra={
                "arn": service["serviceArn"],
                "cluster": service["clusterArn"],
                "desired": str(desired),
            },
        )


def _unmanaged_reason(service: dict[str, Any]) -> str:
    """A daemon service has no desired count to lower: UpdateService refuses one (ECS API
    reference 2014-11-13, UpdateService ``desiredCount``; "Daemon" scheduling strategy)."""
    if service.get("schedulingStrategy") == "DAEMON":
        return (
            "daemon service: ECS runs one task on every container instance and has no "
            "desired count to lower; schedule the cluster's instances instead"
        )
    return ""


def _paginate(ecs: Any, operation: str, key: str, **kwargs: Any) -> Iterator[str]:
    for page in ecs.get_paginator(operation).paginate(**kwargs, PaginationConfig={"PageSize": 100}):
        yield from page[key]


class _TaskSizes:
    """Task definition sizes (read once per definition) and their Fargate price."""

    def __init__(self, ecs: Any) -> None:
        self.ecs = ecs
        self.definitions: dict[str, dict[str, Any]] = {}

    def _definition(self, arn: str) -> dict[str, Any]:
        if arn not in self.definitions:
            response = self.ecs.describe_task_definition(taskDefinition=arn)
            self.definitions[arn] = response["taskDefinition"]
        return self.definitions[arn]

    def label(self, service: dict[str, Any]) -> str:
        definition = self._definition(service["taskDefinition"])
        cpu, memory = definition.get("cpu"), definition.get("memory")
        return f"{cpu} CPU units/{memory} MiB" if cpu and memory else ""

    def hourly(self, service: dict[str, Any], region: str) -> Price | None:
        """Price of one task, or None when it is not a plain Fargate Linux task."""
        if not _on_fargate(service):
            return None
        definition = self._definition(service["taskDefinition"])
        platform = definition.get("runtimePlatform") or {}
        if platform.get("operatingSystemFamily", "LINUX") != "LINUX":
            return None
        arch = platform.get("cpuArchitecture", "X86_64").lower()
        try:
            vcpu = int(definition["cpu"]) / 1024
            memory_gb = int(definition["memory"]) / 1024
        except (KeyError, TypeError, ValueError):
            return None
        per_vcpu = bundled_price("providers.aws", PRICES, region, f"linux-{arch}:vcpu")
        per_gb = bundled_price("providers.aws", PRICES, region, f"linux-{arch}:gb")
        if per_vcpu is None or per_gb is None:
            return None
        hourly = vcpu * per_vcpu.hourly + memory_gb * per_gb.hourly
        return Price(round(hourly, 6), per_vcpu.currency, per_vcpu.source)


def _on_fargate(service: dict[str, Any]) -> bool:
    strategy = service.get("capacityProviderStrategy") or []
    if strategy:
        return all(item.get("capacityProvider") == "FARGATE" for item in strategy)
    return service.get("launchType") == "FARGATE"
