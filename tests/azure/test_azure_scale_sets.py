"""VM scale sets against the ARM fake: to 0 and back to exactly the previous capacity."""

from __future__ import annotations

from azure_testkit import NOW, OFFICE, SUB, decide, target

from providers.azure.scale_sets import ScaleSets
from providers.base import Action, Outcome, ResourceState
from providers.restore import RestoreStore
from providers.store import LocalStore, StoreError


def test_discover_reports_capacity_and_off_state(fake, build):
    fake.add_scale_set(SUB, "rg", "web", "Standard_D2s_v5", "westeurope", OFFICE, capacity=3)
    fake.add_scale_set(SUB, "rg", "other", "Standard_D2s_v5", "westeurope", {}, capacity=3)
    (web,) = build(ScaleSets).discover(target())
    assert web.state is ResourceState.RUNNING
    assert web.off_state is ResourceState.SCALED_DOWN
    assert web.extra["capacity"] == "3"
    assert web.price is not None
    assert round(web.price.hourly, 4) == round(3 * 0.096 * 1.2, 4)  # 3 x D2s_v5 West Europe


def _saved(options, resource):
    return RestoreStore(options.state).load(resource)


def test_scale_down_saves_the_capacity_first_then_back_exactly(fake, build, options):
    fake.add_scale_set(SUB, "rg", "web", "Standard_D2s_v5", "westeurope", OFFICE, capacity=5)
    adapter = build(ScaleSets)
    (web,) = adapter.discover(target())
    (down,) = adapter.apply(decide([web], Action.SCALE_DOWN), dry_run=False)
    assert down.outcome is Outcome.DONE, down.error
    vmss = fake.scale_set("web")
    assert vmss.capacity == 0
    assert vmss.tags == OFFICE  # nothing written on the scale set itself
    assert _saved(options, web) == {"capacity": 5}

    (scaled,) = build(ScaleSets).discover(target())
    assert scaled.state is ResourceState.SCALED_DOWN
    assert scaled.price is not None  # priced by the saved capacity
    (up,) = adapter.apply(decide([scaled], Action.SCALE_UP), dry_run=False)
    assert up.outcome is Outcome.DONE, up.error
    assert vmss.capacity == 5
    assert vmss.tags == OFFICE
    assert _saved(options, web) is None


def test_a_scale_set_already_at_zero_is_skipped_as_already_off(fake, build):
    fake.add_scale_set(SUB, "rg", "empty", "Standard_D2s_v5", "westeurope", OFFICE, capacity=0)
    adapter = build(ScaleSets)
    (result,) = adapter.apply(decide(adapter.discover(target()), Action.SCALE_DOWN), False)
    assert result.outcome is Outcome.SKIPPED and result.detail.startswith("already off")
    assert fake.events == []


def test_scale_up_without_saved_capacity_fails(fake, build):
    fake.add_scale_set(SUB, "rg", "empty", "Standard_D2s_v5", "westeurope", OFFICE, capacity=0)
    adapter = build(ScaleSets)
    (empty,) = adapter.discover(target())
    assert empty.price is None
    (result,) = adapter.apply(decide([empty], Action.SCALE_UP), dry_run=False)
    assert result.outcome is Outcome.FAILED
    assert result.error.startswith("no saved size to restore")
    assert fake.scale_set("empty").capacity == 0


def test_failed_update_is_a_result_and_others_proceed(fake, build):
    fake.add_scale_set(SUB, "rg", "bad", "Standard_D2s_v5", "westeurope", OFFICE, capacity=2)
    fake.add_scale_set(SUB, "rg", "good", "Standard_D2s_v5", "westeurope", OFFICE, capacity=2)
    fake.fail_action("bad", "update", status=409, code="Conflict", message="busy")
    adapter = build(ScaleSets)
    decisions = decide(adapter.discover(target()), Action.SCALE_DOWN)
    results = {r.resource.name: r for r in adapter.apply(decisions, dry_run=False)}
    assert results["bad"].outcome is Outcome.FAILED
    assert results["bad"].error == "Conflict: busy"
    assert fake.scale_set("bad").capacity == 2
    assert results["good"].outcome is Outcome.DONE
    assert fake.scale_set("good").capacity == 0


def test_dry_run_changes_nothing(fake, build):
    fake.add_scale_set(SUB, "rg", "web", "Standard_D2s_v5", "westeurope", OFFICE, capacity=2)
    adapter = build(ScaleSets)
    found = adapter.discover(target())
    (result,) = adapter.apply(decide(found, Action.SCALE_DOWN), dry_run=True)
    assert result.outcome is Outcome.DRY_RUN
    assert fake.scale_set("web").capacity == 2
    assert fake.events == []


def test_a_saved_capacity_of_zero_is_refused(fake, build, options):
    fake.add_scale_set(SUB, "rg", "web", "Standard_D2s_v5", "westeurope", OFFICE, capacity=0)
    adapter = build(ScaleSets)
    (web,) = adapter.discover(target())
    RestoreStore(options.state).save(web, {"capacity": 0}, NOW)

    (up,) = adapter.apply(decide([web], Action.SCALE_UP), dry_run=False)

    assert up.outcome is Outcome.FAILED and "saved capacity is 0" in up.error
    assert fake.scale_set("web").capacity == 0


def test_an_unreadable_saved_capacity_leaves_it_at_zero_unpriced(fake, build, options):
    fake.add_scale_set(SUB, "rg", "web", "Standard_D2s_v5", "westeurope", OFFICE, capacity=3)
    adapter = build(ScaleSets)
    (web,) = adapter.discover(target())
    adapter.apply(decide([web], Action.SCALE_DOWN), dry_run=False)
    options.state.put(RestoreStore(options.state).key(web), b"{not json")

    (down,) = adapter.discover(target())
    (up,) = adapter.apply(decide([down], Action.SCALE_UP), dry_run=False)

    assert down.state is ResourceState.SCALED_DOWN and down.price is None
    assert up.outcome is Outcome.FAILED and "not JSON" in up.error
    assert fake.scale_set("web").capacity == 0


def test_a_saved_capacity_that_cannot_be_removed_is_noted(fake, build, tmp_path):
    class UndeletableStore(LocalStore):
        def delete(self, key):
            raise StoreError("delete denied")

    store = UndeletableStore(tmp_path / "state")
    fake.add_scale_set(SUB, "rg", "web", "Standard_D2s_v5", "westeurope", OFFICE, capacity=3)
    adapter = build(ScaleSets, state=store)
    (web,) = adapter.discover(target())
    adapter.apply(decide([web], Action.SCALE_DOWN), dry_run=False)

    (up,) = adapter.apply(decide([web], Action.SCALE_UP), dry_run=False)

    assert up.outcome is Outcome.DONE and fake.scale_set("web").capacity == 3
    assert "saved capacity not removed (delete denied)" in up.detail


def test_a_scale_set_deleted_since_discovery_is_a_failed_result(fake, build, options):
    fake.add_scale_set(SUB, "rg", "web", "Standard_D2s_v5", "westeurope", OFFICE, capacity=3)
    adapter = build(ScaleSets)
    (web,) = adapter.discover(target())
    with fake.lock:
        fake.scale_sets.clear()

    (down,) = adapter.apply(decide([web], Action.SCALE_DOWN), dry_run=False)

    assert down.outcome is Outcome.FAILED and down.error.startswith("ResourceNotFound")
    assert RestoreStore(options.state).load(web) is None


def test_an_unavailable_api_is_retried(fake, build, options):
    fake.add_scale_set(SUB, "rg", "web", "Standard_D2s_v5", "westeurope", OFFICE, capacity=3)
    adapter = build(ScaleSets)
    (web,) = adapter.discover(target())
    fake.clear_requests()
    fake.fail_requests("/virtualMachineScaleSets/web", 503, method="GET")

    (down,) = adapter.apply(decide([web], Action.SCALE_DOWN), dry_run=False)

    assert down.outcome is Outcome.DONE, down.error
    assert fake.scale_set("web").capacity == 0
    calls = [m for m, p in fake.requests if p.endswith("ScaleSets/web")]
    assert calls[:3] == ["GET", "GET", "PATCH"]  # the 503, its retry, then the update
