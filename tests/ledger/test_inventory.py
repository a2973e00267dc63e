"""Inventory snapshots and the opportunities found in them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from functions.jobs.inventory import item_of, snapshot_of
from ledger.inventory import (
    find_opportunities,
    inventory_key,
    read_inventory,
    resource_from_dict,
    resource_to_dict,
    write_inventory,
)
from providers.base import Price, Resource, ResourceState, Target
from providers.store import LocalStore

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)


def box(
    name: str,
    tags: dict[str, str],
    size: str = "m5.large",
    price: float | None = 0.1,
    state: ResourceState = ResourceState.RUNNING,
    kind: str = "ec2",
    accelerator: bool = False,
) -> Resource:
    return Resource(
        provider="aws",
        account="111111111111",
        region="eu-west-1",
        kind=kind,
        id=f"i-{name}",
        name=name,
        tags=tags,
        state=state,
        size=size,
        price=None if price is None else Price(price, "USD", "bundled:t"),
        accelerator=accelerator,
    )


def test_snapshot_round_trips_through_the_store(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    target = Target("aws", "111111111111", "eu-west-1")
    resources = [box("dev-a", {"team": "web"}), box("prod-b", {"schedule": "office-hours"})]
    key = write_inventory(store, snapshot_of(target, resources, NOW))
    assert key == "inventory/v1/aws/111111111111/eu-west-1.json"
    assert key == inventory_key("aws", "111111111111", "eu-west-1")
    [snap] = read_inventory(store)
    assert snap.taken_at == NOW and snap.key == key
    assert (snap.provider, snap.account, snap.region) == ("aws", "111111111111", "eu-west-1")
    # One shape: what is read back is what the job recorded of each resource.
    assert snap.resources == tuple(item_of(r) for r in resources)
    # A later run replaces the snapshot instead of adding one.
    write_inventory(store, snapshot_of(target, resources[:1], NOW))
    [snap] = read_inventory(store)
    assert len(snap.resources) == 1


def test_opportunities_are_unscheduled_running_non_production_resources() -> None:
    resources = [
        box("dev-alice", {"team": "web"}, price=0.1),
        box("api", {"env": "staging"}, price=0.2),
        box(
            "ml-notebook",
            {},
            size="ml.g4dn.xlarge",
            price=0.7,
            kind="sagemaker-notebook",
            accelerator=True,
        ),
        # The adapter decides what is a GPU: a GPU-looking size alone does not count.
        box("cpu-notebook", {}, size="ml.g4dn.xlarge", kind="sagemaker-notebook"),
        box("dev-scheduled", {"schedule": "office-hours"}),
        box("dev-stopped", {}, state=ResourceState.STOPPED),
        box("dev-but-prod", {"environment": "prod"}),
        box("payments", {"team": "pay"}),
        box("test-unpriced", {}, price=None),
    ]
    found = find_opportunities(resources, running_hours_per_week=55.0)
    assert [o.resource.name for o in found] == ["ml-notebook", "api", "dev-alice", "test-unpriced"]
    by_name = {o.resource.name: o for o in found}
    assert by_name["ml-notebook"].why == "GPU notebook"
    assert by_name["api"].why == "tag env=staging looks non-production"
    assert by_name["dev-alice"].weekly_saving == pytest.approx(0.1 * (168 - 55))
    assert by_name["test-unpriced"].weekly_saving is None


def test_resource_dict_keeps_gpus() -> None:
    resource = resource_from_dict(
        {**resource_to_dict(item_of(box("x", {}))), "gpus": "nvidia-t4x1"}
    )
    assert resource.extra["gpus"] == "nvidia-t4x1"
    # A snapshot from before the accelerator flag: attached GPUs meant one.
    old = {k: v for k, v in resource_to_dict(item_of(box("x", {}))).items() if k != "accelerator"}
    assert resource_from_dict({**old, "gpus": "nvidia-t4x1"}).accelerator is True


def test_the_accelerator_flag_round_trips_and_names_gpu_endpoints() -> None:
    endpoint = box("scoring", {}, size="1 x ml.g4dn.xlarge", kind="sagemaker-endpoints")
    gpu = box(
        "scoring", {}, size="1 x ml.g4dn.xlarge", kind="sagemaker-endpoints", accelerator=True
    )
    item = resource_from_dict(resource_to_dict(item_of(gpu)))
    assert item.accelerator is True and item.key == gpu.key
    assert [o.why for o in find_opportunities([item], 55.0)] == ["GPU endpoint"]
    assert find_opportunities([endpoint], 55.0) == []
