"""The action contract on GCP, beyond each kind's own tests: a stop of what is already off
is skipped, an unreadable saved size is a failed start, and every kind lists its
unlabelled resources with an accelerator flag."""

from __future__ import annotations

from typing import Any

from gcp_helpers import PROJECT, REGION, SCHEDULE, ZONE, by_name, decide

from ledger.inventory import find_opportunities
from providers.base import Action, Outcome, Target, state_key
from providers.gcp.instance_groups import ManagedInstanceGroups
from providers.gcp.instances import GceInstances
from providers.gcp.vertex_endpoints import VertexEndpoints
from providers.gcp.workbench import WorkbenchInstances
from sandbox.gcp_fake import GcpFake

TARGET = Target("gcp", PROJECT)


def _size(fake: GcpFake, name: str) -> int:
    return int(fake.mig(PROJECT, ZONE, name)["targetSize"])


def test_a_group_already_at_zero_is_skipped_as_already_off(fake: GcpFake, make: Any) -> None:
    fake.add_template(PROJECT, "web-v2", "n2-standard-4", SCHEDULE)
    fake.add_mig(PROJECT, ZONE, "idle", "web-v2", 0)
    adapter = make(ManagedInstanceGroups)
    idle = by_name(list(adapter.discover(TARGET)))["idle"]

    [result] = adapter.apply(decide([idle], Action.SCALE_DOWN), False)

    assert result.outcome is Outcome.SKIPPED and result.detail.startswith("already off")
    assert _size(fake, "idle") == 0


def test_an_unreadable_saved_size_is_a_failed_start(fake: GcpFake, make: Any, store: Any) -> None:
    fake.add_template(PROJECT, "web-v2", "n2-standard-4", SCHEDULE)
    fake.add_mig(PROJECT, ZONE, "web", "web-v2", 0)
    adapter = make(ManagedInstanceGroups)
    web = by_name(list(adapter.discover(TARGET)))["web"]
    store.put(state_key(web, "restore.json"), b"{not json")

    [result] = adapter.apply(decide([web], Action.SCALE_UP), False)

    assert result.outcome is Outcome.FAILED
    assert result.error.startswith("no saved size to restore")
    assert _size(fake, "web") == 0


def test_every_kind_lists_unlabelled_resources_with_an_accelerator_flag(
    fake: GcpFake, make: Any
) -> None:
    fake.add_instance(PROJECT, ZONE, "dev-gpu-box", "n1-standard-8", {}, gpus=("nvidia-t4", 1))
    fake.add_instance(PROJECT, ZONE, "dev-a2", "a2-highgpu-1g", {})
    fake.add_instance(PROJECT, ZONE, "dev-plain", "e2-medium", {})
    fake.add_workbench(PROJECT, ZONE, "ana-notebook", "n1-standard-4", {}, gpus=("NVIDIA_L4", 1))
    fake.add_template(PROJECT, "batch-v1", "e2-standard-4", {})
    fake.add_mig(PROJECT, ZONE, "batch", "batch-v1", 2)
    gpu_model = {
        "id": "1",
        "model": f"projects/{PROJECT}/locations/{REGION}/models/m1",
        "dedicatedResources": {
            "machineSpec": {
                "machineType": "n1-standard-4",
                "acceleratorType": "NVIDIA_TESLA_T4",
                "acceleratorCount": 1,
            },
            "minReplicaCount": 1,
        },
    }
    fake.add_endpoint(PROJECT, REGION, "5", "scoring", {}, [gpu_model])

    listed = {
        r.name: r
        for cls in (GceInstances, WorkbenchInstances, ManagedInstanceGroups, VertexEndpoints)
        for r in make(cls).inventory(TARGET)
        if not r.unmanaged_reason  # the group's own VMs are listed, as members of it
    }
    # Nothing carries the schedule label: discovery finds none of them.
    assert not list(make(GceInstances).discover(TARGET))
    assert {name: r.accelerator for name, r in listed.items()} == {
        "dev-gpu-box": True,
        "dev-a2": True,
        "dev-plain": False,
        "ana-notebook": True,
        "batch": False,
        "scoring": True,
    }
    found = {o.resource.name: o.why for o in find_opportunities(listed.values(), 55.0)}
    assert found["ana-notebook"] == "GPU notebook"
    assert found["scoring"] == "GPU endpoint"  # untagged, and no dev-looking name needed


def test_an_instance_stopped_by_hand_since_discovery_is_skipped(fake: GcpFake, make: Any) -> None:
    for name in ("a", "b"):
        fake.add_instance(PROJECT, ZONE, name, "e2-medium", SCHEDULE)
    adapter = make(GceInstances)
    found = by_name(list(adapter.discover(TARGET)))
    with fake.world.lock:  # someone was quicker
        fake.world.get_instance(PROJECT, ZONE, "b")["status"] = "TERMINATED"

    applied = adapter.apply(decide(list(found.values()), Action.STOP), False)
    results = {r.resource.name: r for r in applied}

    assert results["a"].outcome is Outcome.DONE
    assert results["b"].outcome is Outcome.SKIPPED and results["b"].detail.startswith("already off")
