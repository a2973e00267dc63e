"""Hourly list prices of GCP resources from the bundled fact tables.

``gce_prices.json`` (Compute Engine machine types, and per-GPU prices for GPUs attached to
N1) and ``vertex_prices.json`` (Vertex AI prediction nodes) carry their date and source in
``_meta``. Anything missing from a table (custom machine types, a GPU without a row, a
region not listed) gives None: "price unknown", never a guess. An ``hourly-cost`` label wins
over both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from providers.base import Price
from providers.prices import bundled_price, price_from_tag

PACKAGE = "providers.gcp"
GCE_TABLE = "gce_prices.json"
VERTEX_TABLE = "vertex_prices.json"
# Families whose machine type price already includes their GPUs.
_GPU_BUNDLED = ("a2-", "a3-", "a4-", "g2-", "g4-")


def _total(parts: Iterable[Price | None], factor: float = 1.0) -> Price | None:
    prices = list(parts)
    if not prices or any(p is None for p in prices):
        return None
    known = [p for p in prices if p is not None]
    return Price(
        round(factor * sum(p.hourly for p in known), 6), known[0].currency, known[0].source
    )


def machine_price(
    region: str,
    machine_type: str,
    gpus: Mapping[str, int] | None = None,
    labels: Mapping[str, str] | None = None,
) -> Price | None:
    """A VM's hourly price: its machine type plus attached GPUs (``{"nvidia-tesla-t4": 1}``)."""
    tagged = price_from_tag(dict(labels or {}))
    if tagged:
        return tagged
    parts = [bundled_price(PACKAGE, GCE_TABLE, region, machine_type)]
    if not machine_type.startswith(_GPU_BUNDLED):
        for gpu, count in (gpus or {}).items():
            price = bundled_price(PACKAGE, GCE_TABLE, region, f"gpu:{gpu}")
            parts.append(None if price is None else Price(price.hourly * count, price.currency))
    return _total(parts)


def vertex_node_price(
    region: str, machine_type: str, accelerator: str = "", accelerator_count: int = 0
) -> Price | None:
    """One Vertex AI prediction node (machine type plus ``accelerator_count`` GPUs)."""
    parts = [bundled_price(PACKAGE, VERTEX_TABLE, region, machine_type)]
    if accelerator and accelerator_count:
        price = bundled_price(PACKAGE, VERTEX_TABLE, region, f"gpu:{accelerator}")
        parts.append(
            None if price is None else Price(price.hourly * accelerator_count, price.currency)
        )
    return _total(parts)


def scaled(price: Price | None, count: int) -> Price | None:
    """``count`` identical units (MIG instances, prediction replicas)."""
    return (
        None
        if price is None
        else Price(round(price.hourly * count, 6), price.currency, price.source)
    )
