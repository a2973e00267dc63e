"""Everything needed to bring a deleted SageMaker endpoint back, and bringing it back.

A spec is plain JSON: the endpoint's name, its endpoint configuration's name *and*
content (so a person can recreate the configuration if someone deletes it meanwhile),
its tags, and each variant's instance type, count and weight at the time it was
deleted. Recreating uses the same configuration and tags; when the endpoint is already
in service (it is not, on real AWS, until it finishes creating) variant counts that
autoscaling had moved away from the configuration are put back too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from providers.apply import Refused, join_notes
from providers.aws.actions import aws_errors, error_text
from providers.aws.tagging import tag_dict, tag_list
from providers.base import Price
from providers.prices import bundled_price

SPEC_NAME = "endpoint.json"
SPEC_VERSION = 1
PRICES = "sagemaker_endpoint_prices.json"
_DROP = {"ResponseMetadata", "CreationTime", "EndpointConfigArn"}


def capture(sagemaker: Any, name: str, mode: str, at: datetime) -> dict[str, Any]:
    """Read the endpoint as it is now; raises (ClientError) rather than save half a spec."""
    endpoint = sagemaker.describe_endpoint(EndpointName=name)
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
    """Create the endpoint again from its spec; returns a note for the ledger."""
    name, config = spec["endpoint_name"], spec["endpoint_config_name"]
    try:
        sagemaker.create_endpoint(
            EndpointName=name, EndpointConfigName=config, Tags=tag_list(spec["tags"])
        )
    except aws_errors() as err:
        raise Refused(
            f"{error_text(err)} (endpoint config {config}; the saved spec is kept)"
        ) from err
    return join_notes(f"recreated with endpoint config {config}", _restore_counts(sagemaker, spec))


def _restore_counts(sagemaker: Any, spec: Mapping[str, Any]) -> str:
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
