"""The bundled Azure price table, the live Retail Prices source's failures, the caller errors."""

from __future__ import annotations

import io
import json
import sys
from importlib import resources

import pytest

from providers.azure.prices import TABLE, fleet_price, hourly, vm_price
from providers.azure.retail_prices import AzureRetailPrices, from_connection
from providers.pricing import PriceSourceError


def test_known_sizes_have_prices_in_the_main_regions():
    for region in ("eastus", "eastus2", "westus2", "westeurope", "northeurope", "uksouth"):
        for size in ("Standard_B2s", "Standard_D4s_v5", "Standard_E4s_v5", "Standard_NC6s_v3"):
            assert hourly(size, region), (size, region)
    assert hourly("Standard_ND96asr_v4", "eastus")


def test_lookup_ignores_case_and_unknown_is_none():
    assert vm_price("STANDARD_D2S_V5", "EastUS") == vm_price("Standard_D2s_v5", "eastus")
    assert vm_price("Standard_Imaginary_v9", "eastus") is None
    assert vm_price("Standard_D2s_v5", "antarctica") is None


def test_hourly_cost_tag_beats_the_table():
    price = vm_price("Standard_D2s_v5", "eastus", {"hourly-cost": "0.05"})
    assert price is not None and price.hourly == 0.05 and price.source == "tag:hourly-cost"


def test_a_fleet_is_priced_only_when_every_machine_is():
    assert fleet_price([("Standard_D2s_v5", 2), ("Standard_Imaginary", 1)], "eastus") is None
    both = fleet_price([("Standard_D2s_v5", 2), ("Standard_D4s_v5", 1)], "eastus")
    assert both is not None and round(both.hourly, 4) == 0.384
    assert fleet_price([("Standard_D2s_v5", 0)], "eastus") is None


def test_table_states_its_date_and_source():
    raw = json.loads(resources.files("providers.azure").joinpath(TABLE).read_text())
    assert raw["_meta"]["as_of"] and "pay-as-you-go" in raw["_meta"]["source"]
    assert all(v > 0 for sizes in raw["prices"].values() for v in sizes.values())
    price = vm_price("Standard_D2s_v5", "eastus")
    assert price is not None and price.source == f"bundled:{TABLE}@{raw['_meta']['as_of']}"


class Pages:
    """An opener answering one JSON document per request (the Retail Prices API's pages)."""

    def __init__(self, *pages):
        self.pages = list(pages)

    def __call__(self, request, timeout):
        return io.BytesIO(json.dumps(self.pages.pop(0)).encode())


def test_retail_prices_that_cannot_be_read_are_price_source_errors():
    with pytest.raises(PriceSourceError, match="unexpected answer"):
        AzureRetailPrices(opener=Pages([1, 2])).fetch("vms", "eastus", "Standard_D2s_v5")
    endless = Pages(*({"Items": [], "NextPageLink": "https://next"} for _ in range(2)))
    with pytest.raises(PriceSourceError, match="more than 2 pages for Standard_D2s_v5"):
        AzureRetailPrices(opener=endless, max_pages=2).fetch("vms", "eastus", "Standard_D2s_v5")


def test_retail_prices_need_no_credentials():
    source = from_connection(object())
    assert source.base_url == "https://prices.azure.com/api/retail/prices"


def test_caller_errors_name_the_identity_errors_and_none_without_the_sdk(monkeypatch):
    from azure.core.exceptions import ClientAuthenticationError
    from azure.identity import CredentialUnavailableError

    from providers.azure.errors import caller_errors

    errors = caller_errors()
    assert list(errors) == [CredentialUnavailableError, ClientAuthenticationError]
    assert errors[CredentialUnavailableError].usage and not errors[ClientAuthenticationError].usage

    monkeypatch.setitem(sys.modules, "azure.identity", None)  # no Azure extra
    assert caller_errors() == {}
