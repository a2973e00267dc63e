"""Accepted is not done: every Azure adapter reports what its long-running operation did.

``hold_action`` keeps one operation ``InProgress``; with the connection's deadline already
passed (``lro_timeout = 0``) that is what the adapter sees, without waiting.
"""

from __future__ import annotations

import pytest
from azure_testkit import NOW, OFFICE, SUB, by_name, decide, target

from providers.azure.aks import AksClusters
from providers.azure.ml_compute import MlComputeInstances
from providers.azure.operations import engine
from providers.azure.scale_sets import ScaleSets
from providers.base import Action, AdapterOptions, Decision, Outcome, Resource, ResourceState
from providers.restore import RestoreStore
from providers.store import LocalStore


def test_ml_compute_stop_still_in_progress_is_accepted(fake, build, connection):
    fake.add_ml_compute(SUB, "ml", "research", "ana-gpu", "Standard_NC6s_v3", "eastus", OFFICE)
    fake.hold_action("ana-gpu", "stop")
    connection.lro_timeout = 0.0
    adapter = build(MlComputeInstances)

    (result,) = adapter.apply(decide(adapter.discover(target()), Action.STOP), dry_run=False)

    assert result.outcome is Outcome.ACCEPTED
    assert fake.ml_compute("ana-gpu").state == "Stopping"
    assert adapter.discover(target())[0].state is ResourceState.TRANSITIONAL
    fake.settle()
    assert fake.ml_compute("ana-gpu").state == "Stopped"


def test_aks_stop_outcomes(fake, build, connection):
    fake.add_aks(SUB, "rg", "slow", "westeurope", OFFICE)
    fake.hold_action("slow", "stop")
    connection.lro_timeout = 0.0
    adapter = build(AksClusters)

    (held,) = adapter.apply(decide(adapter.discover(target()), Action.STOP), dry_run=False)
    assert held.outcome is Outcome.ACCEPTED and "still in progress" in held.detail

    fake.settle()
    connection.lro_timeout = 240.0
    fake.add_aks(SUB, "rg", "bad", "westeurope", OFFICE)
    fake.fail_action("bad", "stop", asynchronous=True, code="OperationFailed", message="boom")
    bad = by_name(adapter.discover(target()))["bad"]
    (failed,) = adapter.apply(decide([bad], Action.STOP), dry_run=False)
    assert failed.outcome is Outcome.FAILED and failed.error == "OperationFailed: boom"
    assert fake.aks("bad").power_state == "Running"


def test_scale_set_capacity_not_confirmed_saved_scales_nothing(fake, build, tmp_path):
    class ReadsBackNothing(LocalStore):
        def get(self, key):
            return None  # the write is never seen again

    fake.add_scale_set(SUB, "rg", "workers", "Standard_D2s_v5", "westeurope", OFFICE, 3)
    adapter = build(ScaleSets, state=ReadsBackNothing(tmp_path / "state"))

    (result,) = adapter.apply(decide(adapter.discover(target()), Action.SCALE_DOWN), dry_run=False)

    assert result.outcome is Outcome.FAILED
    assert "did not read back as written: left as it is" in result.error
    assert fake.scale_set("workers").capacity == 3


def test_scale_set_scale_up_in_progress_is_accepted(fake, build, connection, options):
    fake.add_scale_set(SUB, "rg", "workers", "Standard_D2s_v5", "westeurope", OFFICE, 0)
    adapter = build(ScaleSets)
    (workers,) = adapter.discover(target())
    RestoreStore(options.state).save(workers, {"capacity": 3}, NOW)
    fake.hold_action("workers", "update")
    connection.lro_timeout = 0.0

    (result,) = adapter.apply(decide([workers], Action.SCALE_UP), dry_run=False)

    assert result.outcome is Outcome.ACCEPTED
    fake.settle()
    assert fake.scale_set("workers").capacity == 3


def test_a_bug_in_an_action_is_not_a_result(connection):
    """Only the SDK's and the store's errors become FAILED results; a bug propagates."""

    def broken(decision):
        raise KeyError("properties")

    options = AdapterOptions(clock=lambda: NOW)
    resource = Resource("azure", SUB, "westeurope", "vms", "/x", "x", {}, ResourceState.RUNNING)
    with pytest.raises(KeyError, match="properties"):
        engine("vms", options).run([Decision(resource, Action.STOP, "test")], {Action.STOP: broken})
