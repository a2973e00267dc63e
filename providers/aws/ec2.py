"""EC2 instances: discover by schedule tag, stop (or hibernate) and start in batches."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from providers.apply import Applier, BatchCall
from providers.aws import account_tags, stop_protection, utilisation
from providers.aws.actions import engine
from providers.aws.connection import AwsConnection
from providers.aws.instance_types import is_accelerated
from providers.aws.stop_protection import StopProtection, refused_by_protection
from providers.base import (
    Action,
    AdapterOptions,
    Decision,
    Outcome,
    Price,
    Resource,
    ResourceState,
    Result,
    Scope,
    Target,
)
from providers.prices import bundled_price, price_from_tag
from providers.scopes import inherit, lists_everything

ASG_TAG = "aws:autoscaling:groupName"
_STATES = {
    "running": ResourceState.RUNNING,
    "stopped": ResourceState.STOPPED,
    "pending": ResourceState.TRANSITIONAL,
    "stopping": ResourceState.TRANSITIONAL,
    "shutting-down": ResourceState.TRANSITIONAL,
}
# Tag keys (or their prefixes) of services that run instances themselves.
_OWNERS = (
    ("aws:elasticmapreduce:job-flow-id", "a node of an EMR cluster"),
    ("karpenter.sh/", "a Karpenter node"),
    ("eks:cluster-name", "an EKS node"),
    ("kubernetes.io/cluster/", "a Kubernetes node"),
)
# Hibernation errors that mean "this instance cannot hibernate": stop it plainly instead.
_NO_HIBERNATION = {"UnsupportedHibernationConfiguration", "UnsupportedOperation"}
# Shared by every instance (read-only): a fleet need not carry one dict per instance.
_HIBERNATES: Mapping[str, str] = MappingProxyType({"hibernation": "yes"})
_PLAIN: Mapping[str, str] = MappingProxyType({"hibernation": ""})


# What the inventory lists: every state but the terminated (gone within the hour).
_LISTED_STATES = ("pending", "running", "stopping", "stopped")


class Ec2Instances(Applier[AwsConnection]):
    kind = "ec2"
    permissions = (
        "ec2:DescribeInstances",
        "ec2:DescribeSpotInstanceRequests",
        # Asked only for instances whose stop AWS refused for stop protection.
        "ec2:DescribeInstanceAttribute",
        "ec2:StopInstances",
        "ec2:StartInstances",
        *utilisation.PERMISSIONS,
        # The account's own tags, when accounts come from Organizations (a schedule scope).
        account_tags.PERMISSION,
    )
    # Instances asked for per DescribeInstances page: parsing a page holds about 24 KB
    # per instance until its resources are built (1,000: 24 MB), so the page, not the
    # fleet, sets the peak. 250 keeps that near 6 MB for one call per 250 instances.
    # (moto counts reservations, AWS instances.)
    page_size = 250

    def __init__(self, connection: AwsConnection, options: AdapterOptions) -> None:
        super().__init__(connection, options)
        self.protection = StopProtection(options.state, options.clock)

    def discover(self, target: Target) -> Iterator[Resource]:
        ec2 = self.connection.client("ec2", target)
        scope = self.connection.account_scope(target.account)
        filters = [{"Name": "instance-state-name", "Values": list(_STATES)}]
        if not lists_everything(scope, self.options.tag_key):
            # Values of one filter are ORed: the schedule tag or the idle tag.
            tags = [self.options.tag_key, self.options.idle_tag_key]
            filters.insert(0, {"Name": "tag-key", "Values": tags})
        pages = ec2.get_paginator("describe_instances").paginate(
            Filters=filters, PaginationConfig={"PageSize": self.page_size}
        )
        protected = self.protection.current(ec2, target)
        yield from self._resources(ec2, target, pages, protected, scope)

    def inventory(self, target: Target) -> Iterator[Resource]:
        """Every instance, tagged or not, running or stopped (terminated ones are gone):
        the inventory lists the fleet, and the digest finds its opportunities among the
        running ones. Called once a day by the job, not on every run."""
        ec2 = self.connection.client("ec2", target)
        pages = ec2.get_paginator("describe_instances").paginate(
            Filters=[{"Name": "instance-state-name", "Values": list(_LISTED_STATES)}],
            PaginationConfig={"PageSize": self.page_size},
        )
        scope = self.connection.account_scope(target.account)
        for resource in self._resources(ec2, target, pages, scope=scope):
            yield replace(resource, accelerator=is_accelerated(resource.size))

    def act(self, decisions: Sequence[Decision]) -> Iterable[Result]:
        results: list[Result] = []
        groups: dict[tuple[str, str], list[Decision]] = {}
        run = engine(self.kind, self.options)
        for decision in decisions:
            unhandled = run.unhandled(decision, (Action.START, Action.STOP))
            if unhandled is not None:  # a skip, or an action an instance has not
                results.append(unhandled)
                continue
            account, region = decision.resource.account, decision.resource.region
            groups.setdefault((account, region), []).append(decision)
        for (account, region), group in groups.items():
            target = Target("aws", account, region)
            done = self._apply_in_region(self.connection.client("ec2", target), group)
            results.extend(self._protected(target, done))
        return results

    def _protected(self, target: Target, results: list[Result]) -> list[Result]:
        """Stops refused for stop protection: remembered, so the next plan skips them."""
        refused = [r for r in results if r.outcome is Outcome.FAILED and refused_by_protection(r)]
        if not refused:
            return results
        self.protection.remember(target, (r.resource.id for r in refused))
        note = "stop protection is on: left running, and skipped until it is turned off"
        return [_with_note(r, note) if r in refused else r for r in results]

    def _apply_in_region(self, ec2: Any, decisions: list[Decision]) -> list[Result]:
        starts = [d for d in decisions if d.action is Action.START]
        stops = [d for d in decisions if d.action is Action.STOP]
        hibernate = [d for d in stops if d.hibernate and d.resource.extra.get("hibernation")]
        plain = [d for d in stops if d not in hibernate]
        notes = {
            d.resource.id: "hibernation not configured on this instance: stopped instead"
            for d in stops
            if d.hibernate and d not in hibernate
        }
        results = self._call(starts, lambda batch: _started(ec2, batch))
        hibernated = self._call(hibernate, lambda batch: _stopped(ec2, batch, Hibernate=True))
        # An instance that refused to hibernate is stopped plainly, and the ledger says so.
        refused = [r for r in hibernated if r.outcome is Outcome.FAILED and _no_hibernation(r)]
        for r in refused:
            notes[r.resource.id] = f"hibernation refused ({r.error}): stopped instead"
        results += [r for r in hibernated if r not in refused]
        plain += [r.decision for r in refused]
        results += self._call(plain, lambda batch: _stopped(ec2, batch))
        return [_with_note(r, notes.get(r.resource.id, "")) for r in results]

    def _resources(
        self,
        ec2: Any,
        target: Target,
        pages: Iterable[Any],
        protected: frozenset[str] | set[str] = frozenset(),
        scope: Scope | None = None,
    ) -> Iterator[Resource]:
        """Page by page: a page's instances are yielded before the next page is asked
        for, and the page's SDK dicts are dropped once its resources are built, so a
        consumer holds the compact resources and one page at most."""
        strings: dict[str, str] = {}
        for page in pages:
            # Taken out of the page: the paginator keeps the page it yielded until the
            # next one has arrived, and two pages at once would double the peak.
            instances = [i for r in page.pop("Reservations") for i in r["Instances"]]
            unstoppable = self._unstoppable_spot(ec2, instances)
            built = [
                self._resource(target, i, unstoppable, protected, strings, scope) for i in instances
            ]
            del instances
            yield from utilisation.mark_idle(self.connection, self.options, target, built)

    def _call(self, decisions: list[Decision], call: BatchCall) -> list[Result]:
        """One call per batch of ids (the apply engine bisects a refused batch)."""
        return engine(self.kind, self.options).run_batches(decisions, call, self.options.batch_size)

    def _unstoppable_spot(self, ec2: Any, instances: list[dict[str, Any]]) -> set[str]:
        """Spot instances from one-time requests (or that terminate on interruption)
        cannot be stopped; only persistent requests that stop on interruption can. A spot
        instance that names no request cannot be shown to be stoppable: left alone too."""
        requests = [i["SpotInstanceRequestId"] for i in instances if i.get("SpotInstanceRequestId")]
        unknown = {
            i["InstanceId"]
            for i in instances
            if i.get("InstanceLifecycle") == "spot" and not i.get("SpotInstanceRequestId")
        }
        if not requests:
            return unknown
        response = ec2.describe_spot_instance_requests(SpotInstanceRequestIds=requests)
        return unknown | {
            r["InstanceId"]
            for r in response["SpotInstanceRequests"]
            if r.get("Type") != "persistent" or r.get("InstanceInterruptionBehavior") != "stop"
        }

    def _resource(
        self,
        target: Target,
        instance: dict[str, Any],
        spot: set[str],
        protected: frozenset[str] | set[str],
        strings: dict[str, str],
        scope: Scope | None = None,
    ) -> Resource:
        """Only what planning, applying and the ledger read; repeated strings (tag keys
        and values, instance types) are shared through ``strings``."""
        share = strings.setdefault
        own = {
            share(t["Key"], t["Key"]): share(t["Value"], t["Value"])
            for t in instance.get("Tags", ())
        }
        # Most accounts have no tags: the instance then keeps its own dict, unshared.
        tags, scope = inherit(own, scope) if scope else (own, None)
        size = share(instance["InstanceType"], instance["InstanceType"])
        instance_id = instance["InstanceId"]
        return Resource(
            provider="aws",
            account=target.account,
            region=target.region,
            kind=self.kind,
            id=instance_id,
            name=tags.get("Name", instance_id),
            tags=tags,
            state=_STATES[instance["State"]["Name"]],
            size=size,
            price=price_from_tag(tags) or _list_price(target.region, size),
            started_at=instance.get("LaunchTime"),
            unmanaged_reason=_unmanaged_reason(instance, tags, spot, protected),
            service="Amazon Elastic Compute Cloud",
            extra=_HIBERNATES
            if instance.get("HibernationOptions", {}).get("Configured")
            else _PLAIN,
            scope=scope,
        )


@lru_cache(maxsize=4096)
def _list_price(region: str, size: str) -> Price | None:
    """One shared (frozen) price per region and size, not one per instance."""
    return bundled_price("providers.aws", "ec2_prices.json", region, size)


def _unmanaged_reason(
    instance: dict[str, Any],
    tags: Mapping[str, str],
    spot: set[str],
    protected: frozenset[str] | set[str],
) -> str:
    instance_id = instance["InstanceId"]
    if ASG_TAG in tags:
        return f"member of Auto Scaling group {tags[ASG_TAG]}: schedule the group instead"
    if instance_id in spot:
        return "spot instance from a one-time request: it cannot be stopped"
    # StopInstances: "You can't stop or hibernate instance store-backed instances."
    if instance.get("RootDeviceType") == "instance-store":
        return "instance-store root device: AWS cannot stop it, only terminate it"
    if instance_id in protected:
        return stop_protection.REASON
    return _owned_by(tags)


def _owned_by(tags: Mapping[str, str]) -> str:
    """Instances another service runs outside an Auto Scaling group (tag keys those
    services set): stopping them fights it. Matters most once an account's tags schedule
    every instance in it."""
    for key in tags:
        for prefix, owner in _OWNERS:
            if key.startswith(prefix):
                return f"{owner} (tag {key}): schedule it where it is managed"
    return ""


def _ids(batch: list[Decision]) -> list[str]:
    return [d.resource.id for d in batch]


def _started(ec2: Any, batch: list[Decision]) -> set[str]:
    ec2.start_instances(InstanceIds=_ids(batch))
    return set()


def _stopped(ec2: Any, batch: list[Decision], **options: Any) -> set[str]:
    """Stop the batch; the ids that were already stopped (someone was quicker) are off."""
    response = ec2.stop_instances(InstanceIds=_ids(batch), **options)
    return {
        i["InstanceId"]
        for i in response.get("StoppingInstances", [])
        if i.get("PreviousState", {}).get("Name") in ("stopped", "stopping")
    }


def _no_hibernation(result: Result) -> bool:
    return result.error.split(":", 1)[0] in _NO_HIBERNATION


def _with_note(result: Result, note: str) -> Result:
    if not note:
        return result
    return replace(result, detail="; ".join(filter(None, (result.detail, note))))
