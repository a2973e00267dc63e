"""Live price sources against local fakes, the object-store cache, and ``enrich``.

The AWS test runs boto3's real ``pricing`` client against our fake of the Price List
Query API (moto does not implement it); Azure and GCP run our HTTP clients against fakes
of their public REST APIs. All fakes serve recorded response shapes (price_fakes.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from price_fakes import FakeApi, aws_price_list, azure_retail_prices, gcp_billing_catalog

from providers.aws.price_list import AwsPriceList
from providers.azure.retail_prices import AzureRetailPrices
from providers.base import Price, Resource, ResourceState
from providers.gcp.billing_catalog import GcpBillingCatalog, machine_shape
from providers.pricing import PriceBook, enrich
from providers.store import LocalStore

NOW = datetime(2026, 11, 28, 6, tzinfo=UTC)


@pytest.fixture
def aws_fake() -> Iterator[FakeApi]:
    with aws_price_list().serving() as api:
        yield api


def aws_source(api: FakeApi) -> AwsPriceList:
    client = boto3.client(
        "pricing",
        region_name="us-east-1",
        endpoint_url=api.url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return AwsPriceList(client)


def test_aws_price_list_gives_the_linux_on_demand_price(aws_fake: FakeApi) -> None:
    book = PriceBook([aws_source(aws_fake)], NOW)
    assert book.lookup("aws", "ec2", "eu-west-1", "m5.large") == Price(
        0.107, "USD", "aws-price-list@2026-11-28"
    )
    assert book.lookup("aws", "ec2", "us-east-1", "m5.large") == Price(
        0.096, "USD", "aws-price-list@2026-11-28"
    )
    assert book.lookup("aws", "ec2", "eu-west-1", "x9.huge") is None
    assert book.lookup("aws", "rds", "eu-west-1", "db.m5.large") is None  # kind not priced


def test_cache_is_used_for_a_week_then_refreshed(aws_fake: FakeApi, tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    source = aws_source(aws_fake)
    PriceBook([source], NOW, store).lookup("aws", "ec2", "eu-west-1", "m5.large")
    calls = len(aws_fake.requests)
    assert store.get("prices/v1/aws-price-list/ec2/eu-west-1.json") is not None

    # A later run (new book, same store) within the week does not call the API.
    later = PriceBook([source], NOW + timedelta(days=6), store)
    cached = later.lookup("aws", "ec2", "eu-west-1", "m5.large")
    assert cached is not None and cached.source == "aws-price-list@2026-11-28"
    assert len(aws_fake.requests) == calls

    # After a week it asks again, and the source says when.
    week_on = PriceBook([source], NOW + timedelta(days=8), store)
    refreshed = week_on.lookup("aws", "ec2", "eu-west-1", "m5.large")
    assert refreshed is not None and refreshed.source == "aws-price-list@2026-12-06"
    assert len(aws_fake.requests) > calls


def test_stale_cache_is_used_when_the_api_fails_and_offline_never_calls(
    aws_fake: FakeApi, tmp_path: Path
) -> None:
    store = LocalStore(tmp_path)
    source = aws_source(aws_fake)
    PriceBook([source], NOW, store).lookup("aws", "ec2", "eu-west-1", "m5.large")
    aws_fake.fail = True
    stale = PriceBook([source], NOW + timedelta(days=30), store)
    price = stale.lookup("aws", "ec2", "eu-west-1", "m5.large")
    assert price == Price(0.107, "USD", "aws-price-list@2026-11-28")
    assert stale.errors and "aws-price-list" in stale.errors[0]
    assert stale.lookup("aws", "ec2", "eu-west-1", "t3.medium") is None  # never cached

    calls = len(aws_fake.requests)
    offline = PriceBook([source], NOW + timedelta(days=30), store, offline=True)
    assert offline.lookup("aws", "ec2", "eu-west-1", "m5.large") is not None
    assert offline.lookup("aws", "ec2", "eu-west-1", "t3.medium") is None
    assert len(aws_fake.requests) == calls


def test_azure_retail_prices_pick_linux_pay_as_you_go_across_pages() -> None:
    with azure_retail_prices().serving() as api:
        source = AzureRetailPrices(base_url=f"{api.url}/api/retail/prices")
        book = PriceBook([source], NOW)
        price = book.lookup("azure", "vms", "westeurope", "Standard_D2s_v5")
        assert price == Price(0.096, "USD", "azure-retail-prices@2026-11-28")
        assert len(api.requests) == 2  # four items, two per page
        assert "armSkuName+eq+%27Standard_D2s_v5%27" in api.requests[0][1]
        assert book.lookup("azure", "vms", "westeurope", "Standard_X1") is None


def test_gcp_billing_catalog_prices_a_machine_type_from_core_and_ram_rates() -> None:
    with gcp_billing_catalog().serving() as api:
        source = GcpBillingCatalog(api_key="test-key", base_url=f"{api.url}/v1")
        book = PriceBook([source], NOW)
        price = book.lookup("gcp", "instances", "europe-west4", "n2-standard-4")
        assert price is not None
        assert price.hourly == pytest.approx(4 * 0.034773 + 16 * 0.004661)
        assert price.source == "gcp-billing-catalog@2026-11-28"
        e2 = book.lookup("gcp", "instances", "us-central1", "e2-medium")
        assert e2 is not None
        assert e2.hourly == pytest.approx(0.02181159 + 4 * 0.00292353, abs=1e-6)
        assert book.lookup("gcp", "instances", "europe-west4", "n2-custom-4-16384") is None
        pages = len(api.requests)
        assert pages == 3  # seven SKUs, three per page; the catalog is read once
    assert machine_shape("n1-highmem-8") == ("n1", 8.0, 52.0)


def test_gcp_bad_key_is_a_price_source_error_not_a_crash() -> None:
    with gcp_billing_catalog().serving() as api:
        book = PriceBook([GcpBillingCatalog(api_key="wrong", base_url=f"{api.url}/v1")], NOW)
        assert book.lookup("gcp", "instances", "europe-west4", "n2-standard-4") is None
        assert "403" in book.errors[0]


def _vm(rid: str, size: str, price: Price | None, **extra: str) -> Resource:
    return Resource(
        "aws",
        "1",
        "eu-west-1",
        "ec2",
        rid,
        rid,
        {},
        ResourceState.RUNNING,
        size=size,
        price=price,
        extra=extra,
    )


def test_enrich_orders_tag_then_live_then_bundled(aws_fake: FakeApi) -> None:
    book = PriceBook([aws_source(aws_fake)], NOW)
    bundled = Price(0.1, "USD", "bundled:ec2_prices.json@2026-11-01")
    resources = [
        _vm("tagged", "m5.large", Price(0.05, "USD", "tag:hourly-cost")),
        _vm("listed", "m5.large", bundled),
        _vm("unlisted", "x9.huge", bundled),
        _vm("unknown", "x9.huge", None),
        _vm("gpu", "m5.large", bundled, gpus="nvidia-tesla-t4x1"),
    ]
    out = {r.id: r.price for r in enrich(resources, book)}
    assert out["tagged"] == Price(0.05, "USD", "tag:hourly-cost")
    assert out["listed"] == Price(0.107, "USD", "aws-price-list@2026-11-28")
    assert out["unlisted"] == bundled
    assert out["unknown"] is None
    assert out["gpu"] == bundled
    assert enrich([replace(resources[1], provider="gcp")], book)[0].price == bundled
