"""The bundled GCP price tables: dated, sourced, and None for what they do not know."""

from __future__ import annotations

import io
import json
from importlib import resources
from typing import Any

import pytest

from providers.gcp.billing_catalog import GcpBillingCatalog, from_connection
from providers.gcp.prices import machine_price, scaled, vertex_node_price
from providers.pricing import PriceSourceError


@pytest.mark.parametrize("table", ["gce_prices.json", "vertex_prices.json"])
def test_tables_carry_date_and_source(table: str) -> None:
    raw = json.loads(resources.files("providers.gcp").joinpath(table).read_text())
    assert raw["_meta"]["as_of"] and "pproximate" in raw["_meta"]["source"]
    for region in ("us-central1", "us-east1", "europe-west4"):
        assert all(v > 0 for v in raw["prices"][region].values())


def test_main_regions_and_families_are_covered() -> None:
    for region in ("us-central1", "us-east1", "europe-west1", "europe-west4", "asia-southeast1"):
        for machine in (
            "e2-standard-4",
            "n2-standard-8",
            "n2d-standard-4",
            "c3-standard-8",
            "g2-standard-8",
        ):
            assert machine_price(region, machine) is not None, (region, machine)
    assert machine_price("us-central1", "a2-highgpu-1g") is not None
    assert machine_price("asia-southeast1", "a2-ultragpu-8g") is not None


def test_unknown_is_none_never_a_guess() -> None:
    assert machine_price("us-central1", "n2-custom-6-23040") is None
    assert machine_price("mars-north1", "e2-standard-4") is None
    assert machine_price("europe-west1", "a2-highgpu-1g") is None  # not offered there
    assert machine_price("us-central1", "n1-standard-4", {"nvidia-h100-80gb": 1}) is None
    assert vertex_node_price("asia-east2", "n1-standard-4") is None
    assert scaled(None, 3) is None


def test_gpus_and_labels() -> None:
    n1 = machine_price("us-central1", "n1-standard-4", {"nvidia-tesla-t4": 2})
    g2 = machine_price("us-central1", "g2-standard-4", {"nvidia-l4": 1})  # GPU included
    tagged = machine_price("us-central1", "n2-custom-6-23040", labels={"hourly-cost": "0.5"})

    assert n1 is not None and n1.hourly == pytest.approx(0.18997 + 0.70)
    assert g2 is not None and g2.hourly == pytest.approx(0.70683)
    assert tagged is not None and (tagged.hourly, tagged.source) == (0.5, "tag:hourly-cost")
    node = vertex_node_price("us-central1", "n1-standard-4", "NVIDIA_TESLA_T4", 1)
    assert node is not None and node.hourly == pytest.approx(0.2186 + 0.4025)


# ---- the live source: Cloud Billing Catalog pages as the API sends them --------------------


def _sku(description: str, region: str, *tiers: tuple[str, int]) -> dict[str, Any]:
    rates = [
        {"startUsageAmount": i, "unitPrice": {"currencyCode": "USD", "units": u, "nanos": n}}
        for i, (u, n) in enumerate(tiers)
    ]
    return {
        "description": description,
        "category": {"resourceFamily": "Compute", "usageType": "OnDemand"},
        "serviceRegions": [region],
        "pricingInfo": [{"pricingExpression": {"tieredRates": rates}}] if tiers else [],
    }


class Pages:
    """An opener answering one JSON document per request, and keeping what was asked."""

    def __init__(self, *pages: Any) -> None:
        self.pages = list(pages)
        self.asked: list[Any] = []

    def __call__(self, request: Any, timeout: float) -> Any:
        self.asked.append(request)
        return io.BytesIO(json.dumps(self.pages.pop(0)).encode())


def test_catalog_skips_free_and_unpriced_skus_and_follows_pages() -> None:
    first = {
        "skus": [
            _sku("N2 Instance Core running in Americas", "us-central1", ("0", 0), ("0", 31611000)),
            _sku("N2 Instance Ram running in Americas", "us-central1"),  # no pricing info
            _sku("E2 Instance Core running in Americas", "us-central1", ("0", 0)),  # free tier only
        ],
        "nextPageToken": "p2",
    }
    second = {"skus": [_sku("N2 Instance Ram running in Americas", "us-central1", ("0", 4237000))]}
    pages = Pages(first, second)
    source = GcpBillingCatalog(opener=pages, token=lambda: "tok")

    quote = source.fetch("instances", "us-central1", "n2-standard-2")

    assert quote is not None and quote.hourly == pytest.approx(2 * 0.031611 + 8 * 0.004237)
    assert source.fetch("instances", "us-central1", "e2-standard-2") is None  # no E2 rate
    assert source.fetch("instances", "us-central1", "n2-custom-4-8192") is None  # not priced here
    assert source.fetch("instances", "us-central1", "n2-ultramem-8") is None  # unknown ratio
    assert [r.get_header("Authorization") for r in pages.asked] == ["Bearer tok", "Bearer tok"]
    assert "pageToken=p2" in pages.asked[1].full_url and "key=" not in pages.asked[1].full_url


def test_catalog_answers_it_cannot_read_are_price_source_errors() -> None:
    with pytest.raises(PriceSourceError, match="unexpected answer"):
        GcpBillingCatalog(opener=Pages(["not", "an", "object"])).fetch(
            "instances", "r", "n2-standard-2"
        )
    endless = Pages(*({"skus": [], "nextPageToken": "more"} for _ in range(3)))
    with pytest.raises(PriceSourceError, match="more than 3 pages"):
        GcpBillingCatalog(opener=endless, max_pages=3).fetch("instances", "r", "n2-standard-2")


def test_catalog_uses_the_connections_credentials(fake: Any, connection: Any) -> None:
    source = from_connection(connection)
    assert source.token is not None

    token = source.token()

    assert token and connection.credentials().valid  # refreshed at the fake's token endpoint
    assert source.token() == token  # still valid: not refreshed again
