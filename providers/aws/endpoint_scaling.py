"""SageMaker endpoints whose capacity Application Auto Scaling manages: left alone.

Deleting an endpoint makes Application Auto Scaling deregister its variants as scalable
targets "without notifying you" (SageMaker Developer Guide, "Delete endpoints configured
for auto scaling"): an endpoint offhours deleted at night would come back without its
scaling target and policies. An inference component's copy count set below its scalable
target's minimum is raised back to it (Application Auto Scaling User Guide, "Application
Auto Scaling concepts"; API 2016-02-06). Both are skipped with the reason; their own
scaling policies are the way to bring their capacity down.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

NAMESPACE = "sagemaker"


def autoscaled(scaling: Any, endpoints: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """Endpoint name -> the reason it is left alone, for the endpoints (name -> their
    inference components) that have a scalable target."""
    owner = {c: name for name, components in endpoints.items() for c in components}
    reasons: dict[str, str] = {}
    pages = scaling.get_paginator("describe_scalable_targets").paginate(ServiceNamespace=NAMESPACE)
    for page in pages:
        for target in page["ScalableTargets"]:
            kind, _, rest = str(target["ResourceId"]).partition("/")
            if kind == "endpoint" and rest.split("/")[0] in endpoints:
                name, variant = rest.split("/")[0], rest.rpartition("/")[2]
                reasons[name] = (
                    f"Application Auto Scaling manages variant {variant}: deleting the "
                    "endpoint would drop its scaling target and policies; let its scaling "
                    "policy bring it down"
                )
            elif kind == "inference-component" and rest in owner:
                reasons[owner[rest]] = (
                    f"Application Auto Scaling manages inference component {rest}: it would "
                    "raise the copy count back to its minimum; let its scaling policy bring "
                    "it down"
                )
    return reasons
