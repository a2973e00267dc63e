"""Bundled price fact tables: ``{"_meta": {...}, "prices": {region: {size: hourly}}}``.

Tables are JSON files next to each cloud's adapters; the meta block says where the
numbers come from and when. An unknown size or region gives None ("price unknown"):
a price is never guessed.
"""

from __future__ import annotations

import json
import math
import re
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


# ASCII decimal only: ``float`` also takes ``١٢`` (Arabic-Indic digits), ``1_000``,
# ``1e3``, ``+5``, ``inf`` and ``nan``, none of which a person writing a rate means.
_DECIMAL = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)


class PriceTagError(ValueError):
    """An ``hourly-cost`` tag that is not a usable hourly rate."""


def parse_hourly(text: str) -> float:
    """An hourly rate from a tag value: an ASCII decimal number in [0, MAX_HOURLY]."""
    trimmed = text.strip(" \t") if isinstance(text, str) else ""
    if _DECIMAL.fullmatch(trimmed) is None:
        raise PriceTagError(f"not a decimal number such as 0.42: {text!r}")
    hourly = float(trimmed)
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
