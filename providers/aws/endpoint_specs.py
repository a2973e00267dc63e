"""Everything needed to bring a deleted SageMaker endpoint back, and bringing it back.

A spec is plain JSON: the endpoint's name, its endpoint configuration's name *and*
content (so a person can recreate the configuration if someone deletes it meanwhile),
its tags, and each variant's instance type, count and weight at the time it was
deleted. Recreating uses the same configuration and tags; once the endpoint is seen in
service, variant counts that autoscaling had moved away from the configuration are put
back too.

SageMaker creates and deletes endpoints in the background (``Creating``, ``Deleting``):
``EndpointChange`` reads the endpoint until it is in service (or gone), up to the apply's
deadline, so neither is ``done`` before SageMaker says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from providers.apply import Deadline, Refused, Settled
from providers.aws.actions import aws_errors, error_text
from providers.aws.tagging import tag_dict, tag_list
from providers.base import Outcome, Price
from providers.prices import bundled_price

SPEC_VERSION = 1
PRICES = "sagemaker_endpoint_prices.json"
_DROP = {"ResponseMetadata", "CreationTime", "EndpointConfigArn"}
# Statuses an endpoint ends a change in, when it does not end in service (or gone).
_BROKEN = ("Failed", "UpdateRollbackFailed")


def capture(
    sagemaker: Any,
    name: str,
    mode: str,
    at: datetime,
    endpoint: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Read the endpoint as it is now (``endpoint``: as just described); raises
    (ClientError) rather than save half a spec."""
    endpoint = endpoint or sagemaker.describe_endpoint(EndpointName=name)
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    tags: dict[str, str] = {}
    for page in sagemaker.get_paginator("list_tags").paginate(ResourceArn=endpoint["EndpointArn"]):
        tags.update(tag_dict(page["Tags"]))
    return {
        "version": SPEC_VERSION,
        "mode": mode,
        "endpoint_name": endpoint["EndpointName"],
        "endpoint_arn": endpoint["EndpointArn"],
        "endpoint_config_name": endpoint["EndpointConfigName"],
        "endpoint_config": {k: v for k, v in config.items() if k not in _DROP},
        "variants": variants(endpoint, config),
        "tags": tags,
        "saved_at": at.isoformat(),
    }


def variants(endpoint: Mapping[str, Any], config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per variant: instance type (from the configuration), count and weight (live)."""
    configured = {v["VariantName"]: v for v in config.get("ProductionVariants", [])}
    found: list[dict[str, Any]] = []
    for live in endpoint.get("ProductionVariants", []):
        spec = configured.get(live["VariantName"], {})
        found.append(
            {
                "VariantName": live["VariantName"],
                "InstanceType": spec.get("InstanceType", ""),
                "InstanceCount": int(
                    live.get("CurrentInstanceCount", spec.get("InitialInstanceCount", 0))
                ),
                "Weight": float(live.get("CurrentWeight", spec.get("InitialVariantWeight", 1.0))),
                "Serverless": "ServerlessConfig" in spec,
            }
        )
    return found


def recreate(sagemaker: Any, spec: Mapping[str, Any]) -> str:
    """Ask for the endpoint again from its spec (SageMaker creates it in the background:
    ``EndpointChange`` waits for it); returns a note for the ledger."""
    name, config = spec["endpoint_name"], spec["endpoint_config_name"]
    try:
        sagemaker.create_endpoint(
            EndpointName=name, EndpointConfigName=config, Tags=tag_list(spec["tags"])
        )
    except aws_errors() as err:
        raise Refused(
            f"{error_text(err)} (endpoint config {config}; the saved spec is kept)"
        ) from err
    return f"recreated with endpoint config {config}"


def restore_counts(sagemaker: Any, spec: Mapping[str, Any]) -> str:
    configured = {
        v["VariantName"]: v for v in spec["endpoint_config"].get("ProductionVariants", [])
    }
    wanted = [
        v
        for v in spec["variants"]
        if not v["Serverless"]
        and v["InstanceCount"] != configured.get(v["VariantName"], {}).get("InitialInstanceCount")
    ]
    if not wanted:
        return ""
    endpoint = sagemaker.describe_endpoint(EndpointName=spec["endpoint_name"])
    counts = ", ".join(f"{v['VariantName']}={v['InstanceCount']}" for v in wanted)
    if endpoint["EndpointStatus"] != "InService":
        return f"variant counts before deletion ({counts}) not applied: endpoint not in service yet"
    try:
        sagemaker.update_endpoint_weights_and_capacities(
            EndpointName=spec["endpoint_name"],
            DesiredWeightsAndCapacities=[
                {
                    "VariantName": v["VariantName"],
                    "DesiredInstanceCount": v["InstanceCount"],
                    "DesiredWeight": v["Weight"],
                }
                for v in wanted
            ],
        )
    except aws_errors() as err:
        return f"variant counts ({counts}) not restored: {error_text(err)}"
    return f"variant counts restored ({counts})"


def describe(sagemaker: Any, name: str) -> Mapping[str, Any] | None:
    """The endpoint, or None when SageMaker says it does not exist."""
    return unless_missing(lambda: sagemaker.describe_endpoint(EndpointName=name))


def unless_missing(call: Callable[[], Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The response, or None when SageMaker says the thing does not exist (a
    ``ValidationException`` "Could not find ..."; it has no NotFound code)."""
    from botocore.exceptions import ClientError

    try:
        return call()
    except ClientError as err:
        error = err.response.get("Error", {})
        if error.get("Code") == "ValidationException" and "Could not find" in error.get(
            "Message", ""
        ):
            return None
        raise


_UNREAD: Mapping[str, Any] | None = {"EndpointStatus": "(not read yet)"}


@dataclass(frozen=True)
class EndpointChange:
    """An endpoint SageMaker is creating (``until="InService"``) or deleting
    (``until="gone"``), read until it gets there, fails, or the deadline comes."""

    sagemaker: Any
    name: str
    until: str

    def settle(self, deadline: Deadline) -> Settled:
        endpoint, finished = deadline.wait(
            _UNREAD, lambda _: describe(self.sagemaker, self.name), self._settled
        )
        if not finished:
            status = endpoint["EndpointStatus"] if endpoint else "gone"
            return Settled(Outcome.ACCEPTED, f"endpoint {self.name} still {status} at the deadline")
        if endpoint is None:
            if self.until == "gone":
                return Settled(Outcome.DONE, f"endpoint {self.name} deleted")
            return Settled(Outcome.FAILED, error=f"endpoint {self.name} vanished while creating")
        status = endpoint["EndpointStatus"]
        if status in _BROKEN:
            reason = endpoint.get("FailureReason") or "no reason given"
            return Settled(Outcome.FAILED, error=f"endpoint {self.name} is {status}: {reason}")
        return Settled(Outcome.DONE, f"endpoint {self.name} {status}")

    def _settled(self, endpoint: Mapping[str, Any] | None) -> bool:
        if endpoint is _UNREAD:
            return False
        if endpoint is None:
            return True
        return endpoint["EndpointStatus"] in (self.until, *_BROKEN)


def price(region: str, variant_list: list[dict[str, Any]]) -> Price | None:
    """Instances x hourly price summed over variants; unknown if any variant is not priced
    (serverless, an instance type missing from the table)."""
    total = 0.0
    source = ""
    for variant in variant_list:
        if variant["Serverless"] or not variant["InstanceType"]:
            return None
        unit = bundled_price("providers.aws", PRICES, region, variant["InstanceType"])
        if unit is None:
            return None
        total += unit.hourly * variant["InstanceCount"]
        source = unit.source
    return Price(round(total, 6), "USD", source) if source else None


def size(variant_list: list[dict[str, Any]]) -> str:
    return ", ".join(
        "serverless" if v["Serverless"] else f"{v['InstanceCount']} x {v['InstanceType']}"
        for v in variant_list
    )
