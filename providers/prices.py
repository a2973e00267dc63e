"""Bundled price fact tables: ``{"_meta": {...}, "prices": {region: {size: hourly}}}``.

Tables are JSON files next to each cloud's adapters; the meta block says where the
numbers come from and when. An unknown size or region gives None ("price unknown"):
a price is never guessed.
"""

from __future__ import annotations

import json
import math
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


PRICE_TAG = "hourly-cost"
# No single resource anyone schedules costs this much an hour; a bigger number is a typo
# (or an attack on the ledger's arithmetic), not a rate.
MAX_HOURLY = 10_000.0


class PriceTagError(ValueError):
    """An ``hourly-cost`` tag that is not a usable hourly rate."""


def parse_hourly(text: str) -> float:
    """An hourly rate from a tag value: a finite number in [0, MAX_HOURLY]."""
    try:
        hourly = float(text.strip())
    except ValueError:
        raise PriceTagError(f"not a number: {text!r}") from None
    if not math.isfinite(hourly) or not 0 <= hourly <= MAX_HOURLY:
        raise PriceTagError(f"{text!r} is not an hourly rate between 0 and {MAX_HOURLY:,.0f}")
    return hourly


def price_from_tag(tags: dict[str, str] | object, key: str = PRICE_TAG) -> Price | None:
    """An ``hourly-cost`` tag (chargeback rate, negotiated price) beats any list price.
    A bad one gives None here; the planner reports it as a tag problem."""
    if not isinstance(tags, dict) or key not in tags:
        return None
    try:
        return Price(parse_hourly(tags[key]), "USD", f"tag:{key}")
    except PriceTagError:
        return None
