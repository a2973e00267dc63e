"""Endpoints that host inference components scale by copy count instead of being deleted.

Scaling every component to 0 copies (and back to its saved count) keeps the endpoint,
its configuration and its URL; with managed instance scaling down to 0 the instances go
away with the copies. The counts to restore are saved in the state store before any
component is touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from providers.apply import Refused
from providers.aws.actions import aws_errors, error_text

PERMISSIONS = (
    "sagemaker:ListInferenceComponents",
    "sagemaker:DescribeInferenceComponent",
    "sagemaker:UpdateInferenceComponentRuntimeConfig",
)


def uses_components(config: Mapping[str, Any]) -> bool:
    """Inference-component endpoints configure variants without a model."""
    variants = config.get("ProductionVariants", [])
    return bool(variants) and all(not v.get("ModelName") for v in variants)


def copy_counts(sagemaker: Any, endpoint: str) -> dict[str, int]:
    """Component name -> desired copy count, for every component on the endpoint."""
    counts: dict[str, int] = {}
    pages = sagemaker.get_paginator("list_inference_components").paginate(
        EndpointNameEquals=endpoint
    )
    for page in pages:
        for item in page["InferenceComponents"]:
            name = item["InferenceComponentName"]
            described = sagemaker.describe_inference_component(InferenceComponentName=name)
            runtime = described.get("RuntimeConfig", {})
            counts[name] = int(runtime.get("DesiredCopyCount", runtime.get("CurrentCopyCount", 0)))
    return counts


def to_restore(current: Mapping[str, int], saved: Mapping[str, int] | None) -> dict[str, int]:
    """What to save before scaling to zero. A component already at 0 whose count was saved
    by an earlier, interrupted scale-down keeps that saved count."""
    merged = dict(current)
    for name, count in (saved or {}).items():
        if merged.get(name, 0) == 0 and count > 0:
            merged[name] = count
    return merged


def set_counts(sagemaker: Any, counts: Mapping[str, int]) -> None:
    """Set every component's copy count; raises Refused naming each one that failed
    (the others are set)."""
    failures: list[str] = []
    for name, count in sorted(counts.items()):
        try:
            sagemaker.update_inference_component_runtime_config(
                InferenceComponentName=name, DesiredRuntimeConfig={"CopyCount": count}
            )
        except aws_errors() as err:
            failures.append(f"{name}: {error_text(err)}")
    if failures:
        raise Refused("; ".join(failures))
