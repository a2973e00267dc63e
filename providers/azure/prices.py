"""Hourly list prices for Azure VM sizes, from the bundled table ``vm_prices.json``.

The table (date and source in its ``_meta``) covers common B, D, E, F and NC/ND/NV GPU
sizes in the main regions. Lookups ignore case, because Azure ML reports sizes as
``STANDARD_NC6S_V3``. An ``hourly-cost`` tag beats the table; an unknown size or region
gives None ("price unknown"), never a guess. A price for several machines (a scale set,
an AKS cluster) is known only when every machine's price is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources

from providers.base import Price
from providers.prices import price_from_tag

TABLE = "vm_prices.json"

# AKS control-plane fee per cluster-hour by pricing tier (Free tier: no fee). A stopped
# cluster does not accrue it. Source: Azure Kubernetes Service pricing page, 2026.
AKS_TIER_HOURLY = {"free": 0.0, "standard": 0.10, "premium": 0.60}


@cache
def _table() -> tuple[dict[str, dict[str, float]], str, str]:
    raw = json.loads(resources.files("providers.azure").joinpath(TABLE).read_text())
    meta = raw["_meta"]
    prices = {
        region.lower(): {size.lower(): float(hourly) for size, hourly in sizes.items()}
        for region, sizes in raw["prices"].items()
    }
    return prices, meta.get("currency", "USD"), f"bundled:{TABLE}@{meta['as_of']}"


def hourly(size: str, region: str) -> float | None:
    prices, _, _ = _table()
    return prices.get(region.lower(), {}).get(size.lower())


def vm_price(size: str, region: str, tags: Mapping[str, str] | None = None) -> Price | None:
    return fleet_price([(size, 1)], region, tags)


def fleet_price(
    machines: Iterable[tuple[str, int]],
    region: str,
    tags: Mapping[str, str] | None = None,
    extra_hourly: float = 0.0,
) -> Price | None:
    """Price of ``count`` machines of each size, plus a fixed fee; None if any is unknown."""
    from_tag = price_from_tag(dict(tags or {}))
    if from_tag is not None:
        return from_tag
    _, currency, source = _table()
    total = extra_hourly
    for size, count in machines:
        if count <= 0:
            continue
        unit = hourly(size, region)
        if unit is None:
            return None
        total += unit * count
    return Price(round(total, 6), currency, source) if total > 0 else None
