"""The bundled Azure price table."""

from __future__ import annotations

import json
from importlib import resources

from providers.azure.prices import TABLE, fleet_price, hourly, vm_price


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
