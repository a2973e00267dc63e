"""AKS against the ARM fake: stop/start the cluster, or user node pools to 0 and back."""

from __future__ import annotations

import json

from azure_testkit import NOW, OFFICE, SUB, by_name, decide, target

from providers.azure.aks import MODE_TAG, AksClusters
from providers.base import Action, Outcome, ResourceState, state_key
from providers.restore import RestoreStore
from sandbox.azure_fake import FakeAgentPool

NODEPOOLS = {**OFFICE, MODE_TAG: "nodepools"}
RESTORE = "restore.json"


def pools():
    return [
        FakeAgentPool("system", 1, "Standard_D2s_v5", mode="System"),
        FakeAgentPool("cpu", 3, "Standard_D4s_v5"),
        FakeAgentPool(
            "gpu", 2, "Standard_NC6s_v3", enable_auto_scaling=True, min_count=1, max_count=4
        ),
    ]


def test_cluster_mode_stop_and_start(fake, build):
    fake.add_aks(SUB, "rg", "dev", "eastus", OFFICE, pools())
    fake.add_aks(SUB, "rg", "untagged", "eastus", {})
    adapter = build(AksClusters)
    (dev,) = adapter.discover(target())
    assert (dev.state, dev.off_state) == (ResourceState.RUNNING, ResourceState.STOPPED)
    assert dev.price is not None
    assert round(dev.price.hourly, 3) == round(0.096 + 3 * 0.192 + 2 * 3.06, 3)
    (stop,) = adapter.apply(decide([dev], Action.STOP), dry_run=False)
    assert stop.outcome is Outcome.DONE, stop.error
    assert fake.aks("dev").power_state == "Stopped"
    (stopped,) = adapter.discover(target())
    assert stopped.state is ResourceState.STOPPED
    (start,) = adapter.apply(decide([stopped], Action.START), dry_run=False)
    assert start.outcome is Outcome.DONE, start.error
    assert fake.aks("dev").power_state == "Running"
    assert fake.aks("untagged").power_state == "Running"


def test_nodepool_mode_saves_counts_first_and_restores_them_exactly(fake, build, options):
    fake.add_aks(SUB, "rg", "ml", "eastus", NODEPOOLS, pools())
    adapter = build(AksClusters)
    (ml,) = adapter.discover(target())
    assert (ml.state, ml.off_state) == (ResourceState.RUNNING, ResourceState.SCALED_DOWN)
    (down,) = adapter.apply(decide([ml], Action.SCALE_DOWN), dry_run=False)
    assert down.outcome is Outcome.DONE, down.error
    assert "system pools kept running: system" in down.detail
    cluster = fake.aks("ml")
    assert {p.name: p.count for p in cluster.pools.values()} == {"system": 1, "cpu": 0, "gpu": 0}
    assert not cluster.pools["gpu"].enable_auto_scaling
    record = json.loads(options.state.get(state_key(ml, RESTORE)))
    assert record["saved_at"] == NOW.isoformat()
    saved = record["data"]
    assert saved["pools"]["cpu"]["count"] == 3
    assert saved["pools"]["gpu"] == {
        "count": 2, "enableAutoScaling": True, "minCount": 1, "maxCount": 4
    }  # fmt: skip

    (scaled,) = adapter.discover(target())
    assert scaled.state is ResourceState.SCALED_DOWN
    assert scaled.price is not None and round(scaled.price.hourly, 3) == round(
        3 * 0.192 + 2 * 3.06, 3
    )
    (up,) = adapter.apply(decide([scaled], Action.SCALE_UP), dry_run=False)
    assert up.outcome is Outcome.DONE, up.error
    restored = {p.name: (p.count, p.enable_auto_scaling, p.min_count, p.max_count)
                for p in cluster.pools.values()}  # fmt: skip
    assert restored == {
        "system": (1, False, None, None), "cpu": (3, False, None, None), "gpu": (2, True, 1, 4)
    }  # fmt: skip
    assert options.state.get(state_key(ml, RESTORE)) is None


def test_nodepool_mode_without_state_store_changes_nothing(fake, build):
    fake.add_aks(SUB, "rg", "ml", "eastus", NODEPOOLS, pools())
    adapter = build(AksClusters, state=None)
    (ml,) = adapter.discover(target())
    (result,) = adapter.apply(decide([ml], Action.SCALE_DOWN), dry_run=False)
    assert result.outcome is Outcome.FAILED
    assert "no state store" in result.error
    assert fake.aks("ml").pools["cpu"].count == 3


def test_nodepool_partial_failure_keeps_every_count(fake, build, options):
    fake.add_aks(SUB, "rg", "ml", "eastus", NODEPOOLS, pools())
    fake.fail_action("gpu", "update", asynchronous=True, code="QuotaExceeded")
    adapter = build(AksClusters)
    (ml,) = adapter.discover(target())
    (first,) = adapter.apply(decide([ml], Action.SCALE_DOWN), dry_run=False)
    assert first.outcome is Outcome.FAILED and first.error.startswith("QuotaExceeded")
    assert fake.aks("ml").pools["cpu"].count == 0
    # The next run scales the rest down and still remembers cpu=3.
    fake.clear_faults()
    (again,) = adapter.discover(target())
    (second,) = adapter.apply(decide([again], Action.SCALE_DOWN), dry_run=False)
    assert second.outcome is Outcome.DONE, second.error
    (scaled,) = adapter.discover(target())
    adapter.apply(decide([scaled], Action.SCALE_UP), dry_run=False)
    assert {p.name: p.count for p in fake.aks("ml").pools.values()} == {
        "system": 1, "cpu": 3, "gpu": 2
    }  # fmt: skip


def test_cluster_without_user_pools_in_nodepool_mode_is_unmanaged(fake, build):
    fake.add_aks(SUB, "rg", "tiny", "eastus", NODEPOOLS, [FakeAgentPool("sys", 1, "x", "System")])
    fake.add_aks(SUB, "rg", "typo", "eastus", {**OFFICE, MODE_TAG: "pods"})
    found = by_name(build(AksClusters).discover(target()))
    assert "no user node pools" in found["tiny"].unmanaged_reason
    assert "bad offhours-aks-mode tag" in found["typo"].unmanaged_reason


def test_stop_failure_is_a_result(fake, build):
    fake.add_aks(SUB, "rg", "dev", "eastus", OFFICE)
    fake.fail_action("dev", "stop", code="OperationNotAllowed", message="upgrade running")
    adapter = build(AksClusters)
    (result,) = adapter.apply(decide(adapter.discover(target()), Action.STOP), dry_run=False)
    assert result.outcome is Outcome.FAILED
    assert result.error == "OperationNotAllowed: upgrade running"
    assert fake.aks("dev").power_state == "Running"


def test_dry_run_changes_nothing(fake, build, options):
    fake.add_aks(SUB, "rg", "ml", "eastus", NODEPOOLS, pools())
    adapter = build(AksClusters)
    (ml,) = adapter.discover(target())
    (result,) = adapter.apply(decide([ml], Action.SCALE_DOWN), dry_run=True)
    assert result.outcome is Outcome.DRY_RUN
    assert fake.aks("ml").pools["cpu"].count == 3
    assert options.state.get(state_key(ml, RESTORE)) is None


def test_nodepools_already_at_zero_are_skipped_and_nothing_saved_fails_the_start(
    fake, build, options
):
    scaled = [FakeAgentPool("system", 1, "Standard_D2s_v5", mode="System")]
    scaled.append(FakeAgentPool("cpu", 0, "Standard_D4s_v5"))
    fake.add_aks(SUB, "rg", "ml", "eastus", NODEPOOLS, scaled)
    adapter = build(AksClusters)
    found = adapter.discover(target())

    (down,) = adapter.apply(decide(found, Action.SCALE_DOWN), dry_run=False)
    (up,) = adapter.apply(decide(found, Action.SCALE_UP), dry_run=False)

    assert down.outcome is Outcome.SKIPPED and down.detail.startswith("already off")
    assert up.outcome is Outcome.FAILED and up.error.startswith("no saved size to restore")
    assert fake.aks("ml").pools["cpu"].count == 0


def _corrupt(options, resource):
    options.state.put(state_key(resource, RESTORE), b"{not json")


def test_a_stopped_cluster_in_nodepool_mode_is_left_alone(fake, build):
    fake.add_aks(SUB, "rg", "ml", "eastus", NODEPOOLS, pools(), power_state="Stopped")

    (ml,) = build(AksClusters).discover(target())

    assert ml.state is ResourceState.STOPPED
    assert ml.unmanaged_reason == "cluster is stopped: node-pool mode needs it running"


def test_unreadable_saved_counts_leave_the_pools_at_zero(fake, build, options):
    fake.add_aks(SUB, "rg", "ml", "eastus", NODEPOOLS, pools())
    adapter = build(AksClusters)
    (ml,) = adapter.discover(target())
    adapter.apply(decide([ml], Action.SCALE_DOWN), dry_run=False)
    _corrupt(options, ml)

    (down,) = adapter.discover(target())
    (up,) = adapter.apply(decide([down], Action.SCALE_UP), dry_run=False)

    assert down.state is ResourceState.SCALED_DOWN
    assert down.price is None  # what comes back is unknown: not priced
    assert up.outcome is Outcome.FAILED and "not JSON" in up.error
    assert {p.name: p.count for p in fake.aks("ml").pools.values()} == {
        "system": 1,
        "cpu": 0,
        "gpu": 0,
    }


def test_saved_counts_without_pools_are_refused(fake, build, options):
    fake.add_aks(SUB, "rg", "ml", "eastus", NODEPOOLS, pools())
    (ml,) = build(AksClusters).discover(target())
    RestoreStore(options.state).save(ml, {"cluster": ml.id, "pools": {}}, NOW)

    (up,) = build(AksClusters).apply(decide([ml], Action.SCALE_UP), dry_run=False)

    assert up.outcome is Outcome.FAILED and "no node-pool counts saved" in up.error


def test_a_pool_deleted_while_scaled_down_is_noted_and_the_rest_restored(fake, build, options):
    fake.add_aks(SUB, "rg", "ml", "eastus", NODEPOOLS, pools())
    adapter = build(AksClusters)
    (ml,) = adapter.discover(target())
    adapter.apply(decide([ml], Action.SCALE_DOWN), dry_run=False)
    with fake.lock:
        del fake.aks("ml").pools["gpu"]

    (up,) = adapter.apply(decide([ml], Action.SCALE_UP), dry_run=False)

    assert up.outcome is Outcome.DONE, up.error
    assert "gpu is gone" in up.detail and "cpu 0->3" in up.detail
    assert {p.name: p.count for p in fake.aks("ml").pools.values()} == {"system": 1, "cpu": 3}
    assert RestoreStore(options.state).load(ml) is None


def test_throttled_listing_is_retried(fake, build):
    fake.add_aks(SUB, "rg", "dev", "eastus", OFFICE, pools())
    fake.fail_requests("/managedClusters", 429, "TooManyRequests", "Rate limit exceeded.")

    (dev,) = build(AksClusters).discover(target())

    assert dev.name == "dev" and dev.state is ResourceState.RUNNING
    assert [m for m, p in fake.requests if p.endswith("/managedClusters")] == ["GET", "GET"]
