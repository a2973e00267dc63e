"""An ECS service's Service Auto Scaling minimum, lowered to 0 while the service is off.

Application Auto Scaling keeps a scalable target's capacity inside its minimum and
maximum: "anytime a scaling policy is invoked or the RegisterScalableTarget API is called,
Application Auto Scaling retrieves the current capacity ... If it falls outside of the
minimum-maximum range, then the capacity is updated to comply" (Application Auto Scaling
User Guide, "Application Auto Scaling concepts"; API 2016-02-06). A desired count of 0
under a minimum of 2 comes back to 2 at the next policy run, so the minimum is saved with
the count, set to 0, and put back when the service comes back.
"""

from __future__ import annotations

from typing import Any

NAMESPACE = "ecs"
DIMENSION = "ecs:service:DesiredCount"


def resource_id(service_id: str) -> str:
    """``service/<cluster>/<service>`` from the adapter's ``<cluster>/<service>`` id."""
    return f"service/{service_id}"


def scaling_minimum(scaling: Any, service_id: str) -> dict[str, int]:
    """``{"scaling_min": n}`` for a service whose scalable target's minimum is above 0,
    else ``{}`` (no target, or a minimum that already lets it reach 0)."""
    found = scaling.describe_scalable_targets(
        ServiceNamespace=NAMESPACE,
        ResourceIds=[resource_id(service_id)],
        ScalableDimension=DIMENSION,
    )["ScalableTargets"]
    minimum = int(found[0]["MinCapacity"]) if found else 0
    return {"scaling_min": minimum} if minimum > 0 else {}


def set_minimum(scaling: Any, service_id: str, minimum: int) -> None:
    """Only the minimum changes: the maximum, policies and role stay as they are."""
    scaling.register_scalable_target(
        ServiceNamespace=NAMESPACE,
        ResourceId=resource_id(service_id),
        ScalableDimension=DIMENSION,
        MinCapacity=minimum,
    )
