"""SageMaker real-time endpoints: scale idle or scheduled-off endpoints to zero and back.

Opt-in by tag: endpoints carrying the schedule tag or the idle tag (``idle-stop=60m``)
are discovered. An endpoint in service for at least its idle window with no
``Invocations`` over that window is reported ``idle``; the planner turns that (or an
off period of its schedule) into SCALE_DOWN.

SCALE_DOWN:
- endpoints hosting inference components: every component's copy count is saved, then
  set to 0 (the endpoint stays);
- other endpoints: everything needed to recreate the endpoint is saved to the state store
  and read back, and only then is the endpoint deleted. If the save fails the endpoint is
  left running and the result is FAILED. The deletion is ``done`` once SageMaker no
  longer finds the endpoint, ``accepted`` while it is still ``Deleting`` at the deadline.

A deleted endpoint lives on as its saved spec: discovery lists this target's specs and
reports each as SCALED_DOWN with its saved tags, so the schedule turning on (or
``offhours wake NAME``) brings it back. SCALE_UP recreates it with the same endpoint
configuration and tags: ``done`` once it is ``InService`` (then the variant counts are
put back and the spec deleted), ``failed`` if it ends ``Failed``, ``accepted`` while it
is still ``Creating`` at the deadline (the spec is kept until a later run sees it run).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from providers.apply import AlreadyOff, Deadline, Started, Step, join_notes
from providers.aws import endpoint_specs, idle, inference_components
from providers.aws.actions import aws_errors, engine, target_of
from providers.aws.connection import AwsConnection
from providers.aws.endpoint_scaling import autoscaled
from providers.aws.instance_types import is_accelerated
from providers.base import (
    Action,
    AdapterOptions,
    Decision,
    Resource,
    ResourceState,
    Result,
    Target,
)
from providers.idle_rule import parse_window
from providers.prices import price_from_tag
from providers.restore import ScalesToZero
from providers.store import StoreError

SERVICE = "Amazon SageMaker"
_TYPE = "sagemaker:endpoint"


@dataclass(frozen=True)
class _Live:
    name: str
    endpoint: Mapping[str, Any]
    config: Mapping[str, Any]
    tags: Mapping[str, str]
    # Component -> copy count, for endpoints hosting inference components.
    components: Mapping[str, int] | None


class SageMakerEndpoints(ScalesToZero[AwsConnection]):
    kind = "sagemaker-endpoints"
    permissions = (
        "tag:GetResources",
        "sagemaker:DescribeEndpoint",
        "sagemaker:DescribeEndpointConfig",
        "sagemaker:ListTags",
        "sagemaker:DeleteEndpoint",
        "sagemaker:CreateEndpoint",
        # CreateEndpoint with Tags is also authorized as AddTags.
        "sagemaker:AddTags",
        "sagemaker:UpdateEndpointWeightsAndCapacities",
        *inference_components.PERMISSIONS,
        *idle.PERMISSIONS,
        # Endpoints under Application Auto Scaling are left alone (endpoint_scaling.py).
        "application-autoscaling:DescribeScalableTargets",
    )

    def __init__(self, connection: AwsConnection, options: AdapterOptions) -> None:
        super().__init__(connection, options)
        self.idle_tag_key = options.idle_tag_key
        connection.tag_listings.want(_TYPE, [options.tag_key, options.idle_tag_key])

    # -- discovery -------------------------------------------------------------------

    def discover(self, target: Target) -> Iterator[Resource]:
        tagged = self.connection.tagged(target, _TYPE)
        sagemaker = self.connection.client("sagemaker", target)
        configs: dict[str, Mapping[str, Any]] = {}
        live = [
            found
            for arn, tags in sorted(tagged.items())
            if (found := _describe(sagemaker, arn, tags, configs)) is not None
        ]
        specs = {
            spec["endpoint_name"].lower(): spec
            for spec in self.restore.saved_for_kind(target, self.kind)
        }
        idle_names = self._idle(target, live)
        scaled = self._autoscaled(target, live)
        for endpoint in live:
            spec = specs.pop(endpoint.name.lower(), None)
            resource = self._live_resource(target, endpoint, spec, endpoint.name in idle_names)
            if endpoint.name in scaled and not resource.unmanaged_reason:
                resource = replace(resource, unmanaged_reason=scaled[endpoint.name], idle=False)
            yield resource
        for spec in specs.values():
            yield self._saved_resource(target, spec)

    def _autoscaled(self, target: Target, live: list[_Live]) -> dict[str, str]:
        if not live:
            return {}
        scaling = self.connection.client("application-autoscaling", target)
        return autoscaled(scaling, {e.name: list(e.components or {}) for e in live})

    def _idle(self, target: Target, live: list[_Live]) -> set[str]:
        now = self.options.clock()
        watches = [w for e in live if (w := self._watch(e, now)) is not None]
        if not watches:
            return set()
        cloudwatch = self.connection.client("cloudwatch", target)
        counts = idle.invocations(cloudwatch, watches, now)
        return {name for name, count in counts.items() if count == 0}

    def _watch(self, endpoint: _Live, now: datetime) -> idle.Watch | None:
        """What to measure for an idle-tagged endpoint in service for a whole window."""
        text = endpoint.tags.get(self.idle_tag_key)
        if text is None or endpoint.endpoint.get("EndpointStatus") != "InService":
            return None
        if endpoint.components is not None and not any(endpoint.components.values()):
            return None
        try:
            window = parse_window(text)
        except ValueError:
            return None
        created = endpoint.endpoint.get("CreationTime")
        if created is not None and now - created < window:
            return None  # too young to judge (a just recreated endpoint has no traffic yet)
        dimensions: list[dict[str, str]] = [
            {"EndpointName": endpoint.name, "VariantName": v["VariantName"]}
            for v in endpoint.endpoint.get("ProductionVariants", [])
        ]
        dimensions += [{"InferenceComponentName": c} for c in endpoint.components or {}]
        return idle.Watch(endpoint.name, window, dimensions)

    def _live_resource(
        self, target: Target, endpoint: _Live, spec: dict[str, Any] | None, is_idle: bool
    ) -> Resource:
        status = str(endpoint.endpoint.get("EndpointStatus", ""))
        variants = endpoint_specs.variants(endpoint.endpoint, endpoint.config)
        state = ResourceState.RUNNING if status == "InService" else ResourceState.TRANSITIONAL
        unmanaged = "endpoint failed: fix or delete it" if status == "Failed" else ""
        stale = spec is not None and state is ResourceState.RUNNING
        if endpoint.components is not None and state is ResourceState.RUNNING:
            state, unmanaged, stale = _component_state(endpoint.components, spec)
            if state is ResourceState.SCALED_DOWN and spec is not None:
                variants = spec["variants"]  # what ran before the scale-down
        unmanaged = unmanaged or self._bad_idle_tag(endpoint.tags)
        return self._resource(
            target,
            endpoint.name,
            endpoint.tags,
            state,
            variants,
            started_at=endpoint.endpoint.get("CreationTime"),
            unmanaged=unmanaged,
            is_idle=is_idle and not unmanaged,
            extra={
                "mode": "delete" if endpoint.components is None else "components",
                "stale_spec": "yes" if stale else "",
            },
        )

    def _saved_resource(self, target: Target, spec: dict[str, Any]) -> Resource:
        unmanaged = ""
        if spec.get("mode") == "components":
            unmanaged = "endpoint with saved inference component counts no longer exists"
        return self._resource(
            target,
            spec["endpoint_name"],
            spec.get("tags", {}),
            ResourceState.SCALED_DOWN,
            spec.get("variants", []),
            started_at=None,
            unmanaged=unmanaged,
            is_idle=False,
            extra={"mode": str(spec.get("mode", "delete")), "saved": "yes"},
        )

    def _resource(
        self,
        target: Target,
        name: str,
        tags: Mapping[str, str],
        state: ResourceState,
        variants: list[dict[str, Any]],
        *,
        started_at: datetime | None,
        unmanaged: str,
        is_idle: bool,
        extra: dict[str, str],
    ) -> Resource:
        tags = dict(tags)
        return Resource(
            provider="aws",
            account=target.account,
            region=target.region,
            kind=self.kind,
            id=name,
            name=name,
            tags=tags,
            state=state,
            size=endpoint_specs.size(variants),
            price=price_from_tag(tags) or endpoint_specs.price(target.region, variants),
            started_at=started_at,
            unmanaged_reason=unmanaged,
            off_state=ResourceState.SCALED_DOWN,
            service=SERVICE,
            idle=is_idle,
            accelerator=any(is_accelerated(v.get("InstanceType", "")) for v in variants),
            extra=extra,
        )

    def _bad_idle_tag(self, tags: Mapping[str, str]) -> str:
        text = tags.get(self.idle_tag_key)
        if text is None:
            return ""
        try:
            parse_window(text)
        except ValueError as err:
            return f"bad {self.idle_tag_key} tag: {err}"
        return ""

    def inventory(self, target: Target) -> Iterator[Resource]:
        """The endpoints discovery sees (those carrying the schedule or idle tag, and the
        deleted ones kept as saved specs): listing every endpoint would need
        ``sagemaker:ListEndpoints``, which the shipped policy does not grant."""
        yield from self.discover(target)

    # -- actions ---------------------------------------------------------------------

    def act(self, decisions: Sequence[Decision]) -> Iterable[Result]:
        self._forget_stale(decisions)
        deadline: Deadline = self.connection.deadline()
        handlers = {Action.SCALE_DOWN: self._scale_down, Action.SCALE_UP: self._scale_up}
        return engine(self.kind, self.options).run(decisions, handlers, deadline)

    def _scale_down(self, decision: Decision) -> Step:
        resource = decision.resource
        sagemaker = self.connection.client("sagemaker", target_of(resource))
        if resource.extra.get("mode") == "components":
            return self._components_down(sagemaker, resource)
        endpoint = endpoint_specs.describe(sagemaker, resource.id)
        if endpoint is None:
            raise AlreadyOff("the endpoint no longer exists")
        now = self.options.clock()
        spec = endpoint_specs.capture(sagemaker, resource.id, "delete", now, endpoint=endpoint)
        self.restore.save(resource, spec, now)
        try:
            sagemaker.delete_endpoint(EndpointName=resource.id)
        except aws_errors():
            self._forget(resource)  # still running: the spec would only mislead
            raise
        return Started(
            endpoint_specs.EndpointChange(sagemaker, resource.id, until="gone"),
            f"deleting; recreation data saved at {self.restore.key(resource)}",
        )

    def _components_down(self, sagemaker: Any, resource: Resource) -> str:
        current = inference_components.copy_counts(sagemaker, resource.id)
        previous = self.restore.load(resource) or {}
        counts = inference_components.to_restore(current, previous.get("components"))
        spec = endpoint_specs.capture(sagemaker, resource.id, "components", self.options.clock())
        spec["components"] = counts
        self.restore.save(resource, spec, self.options.clock())
        inference_components.set_counts(sagemaker, {name: 0 for name in counts})
        return f"inference components scaled to 0 copies ({_counts(counts)} saved)"

    def _scale_up(self, decision: Decision) -> Step:
        resource = decision.resource
        spec = self.restore.require(resource)
        sagemaker = self.connection.client("sagemaker", target_of(resource))
        if spec.get("mode") == "components":
            inference_components.set_counts(sagemaker, spec["components"])
            note = f"inference component copies restored ({_counts(spec['components'])})"
            return join_notes(note, self.restore.forget_noted(resource, "saved spec"))
        note = endpoint_specs.recreate(sagemaker, spec)

        def in_service() -> str:
            counts = endpoint_specs.restore_counts(sagemaker, spec)
            return join_notes(counts, self.restore.forget_noted(resource, "saved spec"))

        change = endpoint_specs.EndpointChange(sagemaker, resource.id, until="InService")
        return Started(change, note, on_done=in_service)

    def _forget(self, resource: Resource) -> None:
        # Best effort: a live endpoint always wins over a spec in discovery.
        with contextlib.suppress(StoreError):
            self.restore.forget(resource)

    def _forget_stale(self, decisions: Sequence[Decision]) -> None:
        """A spec left next to an endpoint that runs normally (a crash after saving, a spec
        that could not be removed) is deleted, so an endpoint someone deletes later on
        purpose is not brought back from it."""
        for decision in decisions:
            if decision.action is Action.SKIP and decision.resource.extra.get("stale_spec"):
                self._forget(decision.resource)


def _describe(
    sagemaker: Any, arn: str, tags: Mapping[str, str], configs: dict[str, Mapping[str, Any]]
) -> _Live | None:
    name = arn.split(":endpoint/", 1)[-1]
    endpoint = endpoint_specs.unless_missing(lambda: sagemaker.describe_endpoint(EndpointName=name))
    if endpoint is None:
        return None  # deleted since the tag listing
    config_name = endpoint["EndpointConfigName"]
    if config_name not in configs:
        # A deleted configuration leaves the price unknown, and the endpoint cannot be
        # saved for recreation (so it is never deleted).
        configs[config_name] = (
            endpoint_specs.unless_missing(
                lambda: sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
            )
            or {}
        )
    config = configs[config_name]
    components = None
    if inference_components.uses_components(config):
        components = inference_components.copy_counts(sagemaker, endpoint["EndpointName"])
    return _Live(endpoint["EndpointName"], endpoint, config, tags, components)


def _component_state(
    current: Mapping[str, int], spec: dict[str, Any] | None
) -> tuple[ResourceState, str, bool]:
    """State, unmanaged reason, stale spec: scaled down while any component with a saved
    count is at 0 copies (so a partial restore is retried)."""
    counts: Mapping[str, int] = (spec or {}).get("components") or {}
    if any(current.get(name, 0) == 0 and count > 0 for name, count in counts.items()):
        return ResourceState.SCALED_DOWN, "", False
    if not any(current.values()):
        reason = "every inference component is at 0 copies and no counts were saved"
        return ResourceState.SCALED_DOWN, reason, False
    return ResourceState.RUNNING, "", spec is not None


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{name}={count}" for name, count in sorted(counts.items()))
