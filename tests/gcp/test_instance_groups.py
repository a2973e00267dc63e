"""Managed instance groups: schedule read from the template's labels, resize to 0 and back."""

from __future__ import annotations

from typing import Any

import pytest
from gcp_helpers import PROJECT, REGION, SCHEDULE, ZONE, by_name, decide, restored
from google.api_core.exceptions import Forbidden

from providers.base import Action, Outcome, ResourceState, Target
from providers.gcp.instance_groups import ManagedInstanceGroups
from providers.store import LocalStore, StoreError
from sandbox.gcp_fake import GcpFake

TARGET = Target("gcp", PROJECT)


@pytest.fixture
def groups(fake: GcpFake) -> GcpFake:
    fake.add_template(PROJECT, "web-v2", "n2-standard-4", {**SCHEDULE, "team": "web"})
    fake.add_template(PROJECT, "db-v1", "n2-highmem-8", {"team": "db"})
    fake.add_template(PROJECT, "batch-v1", "e2-standard-4", SCHEDULE, region=REGION)
    fake.add_mig(PROJECT, ZONE, "web", "web-v2", 3)
    fake.add_mig(PROJECT, ZONE, "db", "db-v1", 2)
    fake.add_mig(PROJECT, REGION, "batch", f"regions/{REGION}/instanceTemplates/batch-v1", 4)
    fake.add_mig(PROJECT, ZONE, "auto", "web-v2", 2, autoscaled=True)
    return fake


def _size(fake: GcpFake, location: str, name: str) -> int:
    return int(fake.mig(PROJECT, location, name)["targetSize"])


class WatchingStore(LocalStore):
    """Records the group's size at the moment its previous size is written."""

    def __init__(self, root: Any, fake: GcpFake) -> None:
        super().__init__(root)
        self.fake = fake
        self.size_at_put: dict[str, int] = {}

    def put(self, key: str, data: bytes) -> None:
        name = key.split("instanceGroupManagers~2f", 1)[1].split("/", 1)[0]
        location = REGION if "regions~2f" in key else ZONE
        self.size_at_put[name] = _size(self.fake, location, name)
        super().put(key, data)


class BrokenStore(LocalStore):
    def put(self, key: str, data: bytes) -> None:
        raise StoreError("cannot write state: access denied")


def test_discover_reads_schedule_from_template_labels(groups: GcpFake, make: Any) -> None:
    found = by_name(list(make(ManagedInstanceGroups).discover(TARGET)))

    assert sorted(found) == ["auto", "batch", "web"]  # db's template has no schedule label
    web = found["web"]
    assert web.id == f"projects/{PROJECT}/zones/{ZONE}/instanceGroupManagers/web"
    assert web.tags == {"schedule": "office-hours", "team": "web"}
    assert web.state is ResourceState.RUNNING and web.off_state is ResourceState.SCALED_DOWN
    assert web.size == "3 x n2-standard-4" and web.region == REGION
    assert web.price is not None and web.price.hourly == pytest.approx(3 * 0.21366, rel=1e-3)
    assert found["batch"].region == REGION and found["batch"].size == "4 x e2-standard-4"
    assert "autoscaled" in found["auto"].unmanaged_reason


def test_scale_down_saves_size_first_then_back_to_exact_size(
    groups: GcpFake, make: Any, tmp_path: Any
) -> None:
    store = WatchingStore(tmp_path / "state", groups)
    adapter = make(ManagedInstanceGroups, state=store)
    found = by_name(list(adapter.discover(TARGET)))
    web, batch = found["web"], found["batch"]

    results = list(adapter.apply(decide([web, batch], Action.SCALE_DOWN), False))

    assert [r.outcome for r in results] == [Outcome.DONE, Outcome.DONE]
    assert store.size_at_put == {"web": 3, "batch": 4}  # saved while still at full size
    assert _size(groups, ZONE, "web") == 0 and _size(groups, REGION, "batch") == 0
    assert (restored(store, web) or {})["previous_size"] == 3
    assert not [i for i in groups.instances(PROJECT) if i["name"].startswith("web-")]

    down = by_name(list(adapter.discover(TARGET)))
    assert down["web"].state is ResourceState.SCALED_DOWN
    assert down["web"].price is not None  # priced at the size it comes back to
    assert down["web"].price.hourly == pytest.approx(web.price.hourly if web.price else 0)

    results = list(adapter.apply(decide([down["web"], down["batch"]], Action.SCALE_UP), False))

    assert [r.outcome for r in results] == [Outcome.DONE, Outcome.DONE]
    assert _size(groups, ZONE, "web") == 3 and _size(groups, REGION, "batch") == 4
    assert len([i for i in groups.instances(PROJECT) if i["name"].startswith("web-")]) == 3
    assert restored(store, web) is None


def test_failed_save_prevents_the_resize(groups: GcpFake, make: Any, tmp_path: Any) -> None:
    adapter = make(ManagedInstanceGroups, state=BrokenStore(tmp_path / "state"))
    web = by_name(list(adapter.discover(TARGET)))["web"]

    [result] = adapter.apply(decide([web], Action.SCALE_DOWN), False)

    assert result.outcome is Outcome.FAILED
    assert "could not be saved" in result.error and "access denied" in result.error
    assert _size(groups, ZONE, "web") == 3


def test_no_state_store_prevents_the_resize(groups: GcpFake, make: Any) -> None:
    adapter = make(ManagedInstanceGroups, state=None)
    web = by_name(list(adapter.discover(TARGET)))["web"]

    [result] = adapter.apply(decide([web], Action.SCALE_DOWN), False)

    assert result.outcome is Outcome.FAILED and "no state store" in result.error
    assert _size(groups, ZONE, "web") == 3


def test_scale_up_without_saved_size_fails_and_leaves_group(groups: GcpFake, make: Any) -> None:
    groups.add_mig(PROJECT, ZONE, "idle", "web-v2", 0)
    adapter = make(ManagedInstanceGroups)
    idle = by_name(list(adapter.discover(TARGET)))["idle"]

    [result] = adapter.apply(decide([idle], Action.SCALE_UP), False)

    assert idle.state is ResourceState.SCALED_DOWN and idle.price is None
    assert result.outcome is Outcome.FAILED and result.error.startswith("no saved size to restore")
    assert _size(groups, ZONE, "idle") == 0


def test_failing_resize_keeps_saved_size(groups: GcpFake, make: Any, store: Any) -> None:
    groups.fail("instanceGroupManagers/web/resize", 500)
    adapter = make(ManagedInstanceGroups)
    web = by_name(list(adapter.discover(TARGET)))["web"]

    [result] = adapter.apply(decide([web], Action.SCALE_DOWN), False)

    assert result.outcome is Outcome.FAILED and "500" in result.error
    assert _size(groups, ZONE, "web") == 3
    assert (restored(store, web) or {})["previous_size"] == 3


def test_dry_run_and_stop_action(groups: GcpFake, make: Any, store: Any) -> None:
    adapter = make(ManagedInstanceGroups)
    web = by_name(list(adapter.discover(TARGET)))["web"]

    [dry] = adapter.apply(decide([web], Action.SCALE_DOWN), True)
    [stop] = adapter.apply(decide([web], Action.STOP), False)

    assert dry.outcome is Outcome.DRY_RUN and stop.outcome is Outcome.FAILED
    assert _size(groups, ZONE, "web") == 3
    assert list(store.list("state/")) == []


class UndeletableStore(LocalStore):
    def delete(self, key: str) -> None:
        raise StoreError("cannot delete state: access denied")


def _corrupt(store: Any, resource: Any) -> None:
    from providers.restore import RestoreStore

    store.put(RestoreStore(store).key(resource), b"{not json")


def test_group_without_a_top_level_template_is_left_out(groups: GcpFake, make: Any) -> None:
    # A group rolling out two versions names its templates only under ``versions``.
    with groups.world.lock:
        groups.world.migs[(PROJECT, f"zones/{ZONE}", "web")].pop("instanceTemplate")
    adapter = make(ManagedInstanceGroups)

    assert sorted(r.name for r in adapter.discover(TARGET)) == ["auto", "batch"]
    assert "web" not in {r.name for r in adapter.inventory(TARGET)}
    assert "db" in {r.name for r in adapter.inventory(TARGET)}  # unlabelled, still listed


def test_unreadable_saved_size_leaves_a_group_at_zero_unpriced_and_not_resized(
    groups: GcpFake, make: Any, store: Any
) -> None:
    adapter = make(ManagedInstanceGroups)
    web = by_name(list(adapter.discover(TARGET)))["web"]
    [down] = adapter.apply(decide([web], Action.SCALE_DOWN), False)
    _corrupt(store, web)

    zero = by_name(list(adapter.discover(TARGET)))["web"]
    [up] = adapter.apply(decide([zero], Action.SCALE_UP), False)

    assert down.outcome is Outcome.DONE
    assert zero.state is ResourceState.SCALED_DOWN and zero.price is None
    assert up.outcome is Outcome.FAILED
    assert up.error.startswith("no saved size to restore") and "not JSON" in up.error
    assert _size(groups, ZONE, "web") == 0


def test_saved_size_of_zero_is_refused(groups: GcpFake, make: Any, store: Any, clock: Any) -> None:
    from providers.restore import RestoreStore

    groups.add_mig(PROJECT, ZONE, "idle", "web-v2", 0)
    adapter = make(ManagedInstanceGroups)
    idle = by_name(list(adapter.discover(TARGET)))["idle"]
    RestoreStore(store).save(idle, {"previous_size": 0}, clock.now)

    [result] = adapter.apply(decide([idle], Action.SCALE_UP), False)

    assert result.outcome is Outcome.FAILED and "saved size is 0" in result.error
    assert _size(groups, ZONE, "idle") == 0


def test_group_at_zero_is_already_off(groups: GcpFake, make: Any, store: Any) -> None:
    groups.add_mig(PROJECT, ZONE, "idle", "web-v2", 0)
    adapter = make(ManagedInstanceGroups)
    idle = by_name(list(adapter.discover(TARGET)))["idle"]

    [result] = adapter.apply(decide([idle], Action.SCALE_DOWN), False)

    assert result.outcome is Outcome.SKIPPED and "size 0" in result.detail
    assert restored(store, idle) is None


def test_group_deleted_between_discover_and_apply(groups: GcpFake, make: Any, store: Any) -> None:
    adapter = make(ManagedInstanceGroups)
    web = by_name(list(adapter.discover(TARGET)))["web"]
    with groups.world.lock:
        del groups.world.migs[(PROJECT, f"zones/{ZONE}", "web")]

    [result] = adapter.apply(decide([web], Action.SCALE_DOWN), False)

    assert result.outcome is Outcome.FAILED and "web no longer exists" in result.error
    assert restored(store, web) is None  # nothing saved for a group that is gone


def test_saved_size_that_cannot_be_deleted_is_noted_on_a_done_resize(
    groups: GcpFake, make: Any, tmp_path: Any
) -> None:
    store = UndeletableStore(tmp_path / "state")
    adapter = make(ManagedInstanceGroups, state=store)
    batch = by_name(list(adapter.discover(TARGET)))["batch"]
    adapter.apply(decide([batch], Action.SCALE_DOWN), False)

    [up] = adapter.apply(decide([batch], Action.SCALE_UP), False)

    assert up.outcome is Outcome.DONE and _size(groups, REGION, "batch") == 4
    assert "saved size not removed" in up.detail and "access denied" in up.detail
    assert (restored(store, batch) or {})["previous_size"] == 4


def test_listing_groups_denied_raises_from_discover(groups: GcpFake, make: Any) -> None:
    groups.fail("/aggregated/instanceGroupManagers", 403, "Required permission denied")

    with pytest.raises(Forbidden, match="permission denied"):
        list(make(ManagedInstanceGroups).discover(TARGET))
