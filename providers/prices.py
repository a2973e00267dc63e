"""Bundled price fact tables: ``{"_meta": {...}, "prices": {region: {size: hourly}}}``.

Tables are JSON files next to each cloud's adapters; the meta block says where the
numbers come from and when. An unknown size or region gives None ("price unknown"):
a price is never guessed.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

from providers.base import Price


@cache
def _table(package: str, filename: str) -> tuple[dict[str, dict[str, float]], str, str]:
    raw = json.loads(resources.files(package).joinpath(filename).read_text())
    meta = raw["_meta"]
    source = f"bundled:{filename}@{meta['as_of']}"
    return raw["prices"], meta.get("currency", "USD"), source


def bundled_price(package: str, filename: str, region: str, size: str) -> Price | None:
    prices, currency, source = _table(package, filename)
    hourly = prices.get(region, {}).get(size)
    return None if hourly is None else Price(hourly, currency, source)


def price_from_tag(tags: dict[str, str] | object, key: str = "hourly-cost") -> Price | None:
    """An ``hourly-cost`` tag (chargeback rate, negotiated price) beats any list price."""
    if not isinstance(tags, dict) or key not in tags:
        return None
    try:
        hourly = float(tags[key])
    except ValueError:
        return None
    return Price(hourly, "USD", f"tag:{key}") if hourly >= 0 else None
