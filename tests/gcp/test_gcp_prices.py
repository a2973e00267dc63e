"""The bundled GCP price tables: dated, sourced, and None for what they do not know."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from providers.gcp.prices import machine_price, scaled, vertex_node_price


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
