"""Azure ML compute instances against the ARM fake: stop and start by tag."""

from __future__ import annotations

from dataclasses import replace

from azure_testkit import OFFICE, SUB, by_name, decide, target

from providers.azure.ml_compute import MlComputeInstances
from providers.base import Action, Outcome, ResourceState


def seed(fake):
    fake.add_ml_compute(SUB, "ml", "research", "ana-gpu", "STANDARD_NC6S_V3", "eastus", OFFICE)
    fake.add_ml_compute(
        SUB, "ml", "research", "bob-cpu", "Standard_DS3_v2", "eastus", state="Stopped",
        tags={"Schedule": "office-hours"},
    )  # fmt: skip
    fake.add_ml_compute(SUB, "ml", "research", "untagged", "Standard_DS3_v2", "eastus", {})
    fake.add_ml_compute(
        SUB, "ml", "research", "trainer", "Standard_NC6s_v3", "eastus", OFFICE, state="JobRunning"
    )


def test_discover_states_sizes_and_prices(fake, build):
    seed(fake)
    found = by_name(build(MlComputeInstances).discover(target()))
    assert set(found) == {"research/ana-gpu", "research/bob-cpu", "research/trainer"}
    gpu = found["research/ana-gpu"]
    assert gpu.state is ResourceState.RUNNING
    assert gpu.size == "STANDARD_NC6S_V3"
    assert gpu.price is not None and gpu.price.hourly == 3.06  # case-insensitive size lookup
    assert gpu.service == "Azure Machine Learning"
    assert found["research/bob-cpu"].state is ResourceState.STOPPED
    assert found["research/trainer"].state is ResourceState.TRANSITIONAL  # never kill a job


def test_workspace_tags_are_inherited_and_a_compute_tag_wins(fake, build):
    fake.add_ml_compute(
        SUB, "ml", "team-ws", "nb-1", "Standard_DS3_v2", "westeurope", {},
        workspace_tags={"Schedule": "office-hours", "team": "ml"},
    )  # fmt: skip
    fake.add_ml_compute(
        SUB, "ml", "team-ws", "nb-2", "Standard_DS3_v2", "westeurope", {"schedule": "off"}
    )
    found = by_name(build(MlComputeInstances).discover(target()))
    assert found["team-ws/nb-1"].tags == {"schedule": "office-hours", "team": "ml"}
    assert found["team-ws/nb-2"].tags["schedule"] == "off"


def test_compute_clusters_are_unmanaged(fake, build):
    fake.add_ml_compute(
        SUB, "ml", "ws", "cluster", "Standard_NC6s_v3", "eastus", OFFICE, compute_type="AmlCompute"
    )
    (cluster,) = build(MlComputeInstances).discover(target())
    assert "scales to its minimum nodes" in cluster.unmanaged_reason


def test_stop_and_start(fake, build):
    seed(fake)
    adapter = build(MlComputeInstances)
    found = by_name(adapter.discover(target()))
    (stopped,) = adapter.apply(decide([found["research/ana-gpu"]], Action.STOP), dry_run=False)
    (started,) = adapter.apply(decide([found["research/bob-cpu"]], Action.START), dry_run=False)
    assert (stopped.outcome, started.outcome) == (Outcome.DONE, Outcome.DONE)
    assert fake.ml_compute("ana-gpu").state == "Stopped"
    assert fake.ml_compute("bob-cpu").state == "Running"
    again = by_name(adapter.discover(target()))
    assert again["research/bob-cpu"].started_at is not None  # from lastOperation "Start"


def test_one_failure_is_a_result(fake, build):
    seed(fake)
    fake.fail_action("ana-gpu", "stop", asynchronous=True, code="ComputeInstanceBusy")
    fake.add_ml_compute(SUB, "ml", "research", "carol", "Standard_DS3_v2", "eastus", OFFICE)
    adapter = build(MlComputeInstances)
    running = [r for r in adapter.discover(target()) if r.state is ResourceState.RUNNING]
    results = {r.resource.name: r for r in adapter.apply(decide(running, Action.STOP), False)}
    assert results["research/ana-gpu"].outcome is Outcome.FAILED
    assert results["research/ana-gpu"].error.startswith("ComputeInstanceBusy")
    assert fake.ml_compute("ana-gpu").state == "Running"
    assert results["research/carol"].outcome is Outcome.DONE
    assert fake.ml_compute("carol").state == "Stopped"


def test_dry_run_changes_nothing(fake, build):
    seed(fake)
    adapter = build(MlComputeInstances)
    found = adapter.discover(target())
    results = list(adapter.apply(decide(found, Action.STOP), dry_run=True))
    assert {r.outcome for r in results} == {Outcome.DRY_RUN}
    assert fake.ml_compute("ana-gpu").state == "Running"


def test_workspaces_outside_the_configured_regions_are_not_read(fake, build, connection):
    seed(fake)
    fake.add_ml_compute(SUB, "ml", "europe", "eu-nb", "Standard_DS3_v2", "westeurope", OFFICE)
    connection.config = replace(connection.config, regions=("westeurope",))

    found = build(MlComputeInstances).discover(target())

    assert [r.name for r in found] == ["europe/eu-nb"]
    assert not [p for m, p in fake.requests if "/workspaces/research/computes" in p]
