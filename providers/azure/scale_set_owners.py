"""Who else sizes a scale set: an AKS node pool that owns it, or an Azure Monitor
autoscale setting that targets it. Read once per subscription (one paged list each), only
when there are scale sets; the refusals themselves are ``providers/azure/limits.py``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from providers.azure.aks import API_VERSION as AKS_API_VERSION
from providers.azure.limits import aks_pool_refusal, autoscale_refusal, looks_aks_owned

if TYPE_CHECKING:
    from providers.azure.arm import ArmRest

INSIGHTS_API_VERSION = "2022-10-01"


@dataclass(frozen=True)
class Owners:
    # Lowercased target resource id -> the autoscale setting (REST JSON) that targets it.
    autoscale: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # Lowercased node resource group -> the AKS cluster's name.
    clusters: Mapping[str, str] = field(default_factory=dict)

    def refusal(self, vmss_id: str, tags: Mapping[str, str], resource_group: str) -> str:
        return aks_pool_refusal(tags, resource_group, self.clusters) or autoscale_refusal(
            self.autoscale.get(vmss_id.lower())
        )


def read_owners(
    arm: ArmRest, subscription: str, scale_sets: Iterable[tuple[Mapping[str, str], str]]
) -> Owners:
    """``scale_sets``: (lowercased tags, resource group) of each scale set listed."""
    scale_sets = list(scale_sets)
    if not scale_sets:
        return Owners()
    base = f"/subscriptions/{subscription}/providers"
    settings = arm.list(f"{base}/Microsoft.Insights/autoscalesettings", INSIGHTS_API_VERSION)
    autoscale = {
        str((s.get("properties") or {}).get("targetResourceUri", "")).lower(): s for s in settings
    }
    clusters: dict[str, str] = {}
    if any(looks_aks_owned(tags, group) for tags, group in scale_sets):
        listed = arm.list(f"{base}/Microsoft.ContainerService/managedClusters", AKS_API_VERSION)
        for cluster in listed:
            node_group = str((cluster.get("properties") or {}).get("nodeResourceGroup") or "")
            if node_group:
                clusters[node_group.lower()] = str(cluster.get("name", ""))
    return Owners(autoscale, clusters)
