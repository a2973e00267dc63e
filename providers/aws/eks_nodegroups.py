"""EKS managed node groups: scaled to zero through the EKS API and back to their sizes.

A managed node group's Auto Scaling group belongs to EKS: its sizes are changed with
UpdateNodegroupConfig (EKS API 2017-11-01), never on the group itself (``asg.py`` leaves
such groups alone). SCALE_DOWN saves ``{"min": 1, "desired": 2, "max": 4}`` in the restore
store and reads it back, then sets min and desired to 0 (max unchanged: EKS requires a
maximum of at least 1); SCALE_UP puts the three back and forgets them. Nothing saved is a
failed start ("no saved size to restore"), never a made-up size.

An update EKS reports ``InProgress`` is ``accepted`` (the node group is ``UPDATING`` while
its nodes drain or join): the next discovery confirms it once the node group is
``ACTIVE`` at the new size. A restore still in progress keeps the saved sizes.

EKS lists node groups per cluster without their tags (and the Resource Groups Tagging
API is not used here), so each one is described: one call per node group per run.

Price: desired nodes x the EC2 unit price of the node group's first instance type.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from providers.apply import AlreadyOff, StillRunning, join_notes
from providers.aws.actions import engine, target_of
from providers.aws.connection import AwsConnection
from providers.aws.instance_types import is_accelerated
from providers.base import (
    Action,
    Decision,
    Price,
    Resource,
    ResourceState,
    Result,
    Target,
    tagged,
)
from providers.prices import bundled_price, price_from_tag
from providers.restore import ScalesToZero
from providers.store import StoreError

SERVICE = "Amazon Elastic Compute Cloud"
_BUSY = {"CREATING", "UPDATING", "DELETING"}


class EksNodegroups(ScalesToZero[AwsConnection]):
    kind = "eks-nodegroups"
    permissions = (
        "eks:ListClusters",
        "eks:ListNodegroups",
        "eks:DescribeNodegroup",
        "eks:UpdateNodegroupConfig",
    )

    def discover(self, target: Target) -> list[Resource]:
        return tagged(self._nodegroups(target), self.options.tag_key)

    def inventory(self, target: Target) -> Iterator[Resource]:
        """Every node group, tagged or not (the digest's opportunities)."""
        yield from self._nodegroups(target)

    def act(self, decisions: Sequence[Decision]) -> Iterable[Result]:
        handlers = {Action.SCALE_DOWN: self._scale_down, Action.SCALE_UP: self._scale_up}
        return engine(self.kind, self.options).run(decisions, handlers)

    def _nodegroups(self, target: Target) -> Iterator[Resource]:
        eks = self.connection.client("eks", target)
        for cluster in _pages(eks, "list_clusters", "clusters"):
            for name in _pages(eks, "list_nodegroups", "nodegroups", clusterName=cluster):
                found = eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)
                yield self._resource(target, found["nodegroup"])

    def _scale_down(self, decision: Decision) -> str:
        resource = decision.resource
        eks = self.connection.client("eks", target_of(resource))
        # The sizes as they are now, not as discovery saw them: what to restore.
        current = _sizes(_describe(eks, resource)["scalingConfig"])
        if current["desired"] == 0:
            raise AlreadyOff("the node group is at zero nodes")
        # Saved and read back first: without it the node group is not scaled down.
        self.restore.save(resource, current, self.options.clock())
        note = f"nodes {current['desired']} -> 0 (saved at {self.restore.key(resource)})"
        _update(eks, resource, {"min": 0, "desired": 0, "max": current["max"]}, note)
        return note

    def _scale_up(self, decision: Decision) -> str:
        resource = decision.resource
        saved = self.restore.require(resource)
        eks = self.connection.client("eks", target_of(resource))
        sizes = {k: int(saved[k]) for k in ("min", "desired", "max")}
        note = f"nodes 0 -> {sizes['desired']}"
        # An update still in progress raises StillRunning and keeps the saved sizes: if
        # EKS fails it, the next run restores them again. The next scale-down replaces them.
        _update(eks, resource, sizes, note)
        return join_notes(note, self.restore.forget_noted(resource, "saved sizes"))

    def _resource(self, target: Target, nodegroup: dict[str, Any]) -> Resource:
        tags = dict(nodegroup.get("tags") or {})
        sizes = _sizes(nodegroup.get("scalingConfig") or {})
        cluster, name = nodegroup["clusterName"], nodegroup["nodegroupName"]
        types = list(nodegroup.get("instanceTypes") or [])
        instance_type = types[0] if len(types) == 1 else ""
        probe = Resource(
            "aws",
            target.account,
            target.region,
            self.kind,
            f"{cluster}/{name}",
            name,
            tags,
            ResourceState.RUNNING,
        )
        if nodegroup.get("status") in _BUSY:
            state, count = ResourceState.TRANSITIONAL, sizes["desired"]
        elif sizes["desired"] > 0:
            state, count = ResourceState.RUNNING, sizes["desired"]
        else:
            state, count = ResourceState.SCALED_DOWN, self._saved_desired(probe)
        unit = bundled_price("providers.aws", "ec2_prices.json", target.region, instance_type)
        price = unit and Price(round(unit.hourly * count, 6), unit.currency, unit.source)
        return Resource(
            provider="aws",
            account=target.account,
            region=target.region,
            kind=self.kind,
            id=probe.id,
            name=name,
            tags=tags,
            state=state,
            size=f"{count} x {instance_type or 'mixed types'}",
            price=price_from_tag(tags) or price,
            off_state=ResourceState.SCALED_DOWN,
            service=SERVICE,
            accelerator=any(is_accelerated(t) for t in types),
            extra={"cluster": cluster, "nodegroup": name},
        )

    def _saved_desired(self, resource: Resource) -> int:
        """For a node group at zero: the size it comes back to (prices the avoided hours)."""
        try:
            saved = self.restore.load(resource)
        except StoreError:
            return 0
        return int((saved or {}).get("desired", 0))


def _pages(eks: Any, operation: str, key: str, **kwargs: Any) -> Iterator[str]:
    for page in eks.get_paginator(operation).paginate(**kwargs):
        yield from page[key]


def _describe(eks: Any, resource: Resource) -> dict[str, Any]:
    found = eks.describe_nodegroup(
        clusterName=resource.extra["cluster"], nodegroupName=resource.extra["nodegroup"]
    )
    nodegroup: dict[str, Any] = found["nodegroup"]
    return nodegroup


def _sizes(config: dict[str, Any]) -> dict[str, int]:
    return {
        "min": int(config.get("minSize", 0)),
        "desired": int(config.get("desiredSize", 0)),
        "max": int(config.get("maxSize", 0)),
    }


def _update(eks: Any, resource: Resource, sizes: dict[str, int], note: str) -> None:
    """Set the sizes; an update EKS has not finished yet is accepted, not done."""
    answer = eks.update_nodegroup_config(
        clusterName=resource.extra["cluster"],
        nodegroupName=resource.extra["nodegroup"],
        scalingConfig={
            "minSize": sizes["min"],
            "maxSize": sizes["max"],
            "desiredSize": sizes["desired"],
        },
    )
    update = answer.get("update", {})
    if update.get("status") == "InProgress":
        raise StillRunning(f"{note}; EKS update {update.get('id', '')} in progress")
