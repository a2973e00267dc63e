"""The planner with start and stop order and maintenance windows: pure, at fixed instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import schedules
from functions.jobs.order import Rules, held_starts, observed_running
from functions.jobs.planner import Policy, plan
from providers.base import Action, Decision, Resource, ResourceState

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)
CATALOG = schedules.load_catalog()
RUNNING, STOPPED = ResourceState.RUNNING, ResourceState.STOPPED


def res(name: str, tags: dict[str, str], state: ResourceState, **kw: object) -> Resource:
    return Resource("azure", "sub", "westeurope", "vms", f"/vms/{name}", name, tags, state, **kw)  # type: ignore[arg-type]


def by_name(decisions: list[Decision]) -> dict[str, Decision]:
    return {d.resource.name: d for d in decisions}


def run_plan(
    resources: list[Resource],
    now: datetime,
    running_since: dict[str, datetime] | None = None,
    catalog: schedules.Catalog = CATALOG,
) -> dict[str, Decision]:
    last = now - timedelta(minutes=15)
    return by_name(plan(resources, now, last, catalog, Policy(), running_since=running_since))


ON = {"schedule": "office-hours"}


def test_the_app_waits_until_the_database_is_seen_running_for_its_wait() -> None:
    eight = MONDAY + timedelta(hours=8, minutes=5)
    db, app = res("db", ON, STOPPED), res("app", {**ON, "offhours-order": "1"}, STOPPED)
    first = run_plan([db, app], eight)
    assert first["db"].action is Action.START
    assert first["app"].action is Action.SKIP
    assert first["app"].reason.endswith("; waiting for order 0: db not yet running")
    assert held_starts(first.values()) == {app.key}
    # Next run: the database runs, first seen now: the app waits 5 minutes more.
    up = res("db", ON, RUNNING)
    later = eight + timedelta(minutes=2)
    second = run_plan([up, app], later, {up.key: later})
    assert "running since Mon 08:07 UTC, starts 5 min after it (from 08:12 UTC)" in (
        second["app"].reason
    )
    assert second["app"].action is Action.SKIP
    # A run after the wait starts it (it is retried: its start was held).
    third = by_name(
        plan(
            [up, app],
            later + timedelta(minutes=5),
            later,
            CATALOG,
            Policy(),
            retry=frozenset({app.key}),
            running_since={up.key: later},
        )
    )
    assert third["app"].action is Action.START


def test_the_order_wait_tag_and_several_levels() -> None:
    now = MONDAY + timedelta(hours=9)
    db = res("db", ON, RUNNING)
    cache = res("cache", {**ON, "offhours-order": "1"}, RUNNING)
    app = res("app", {**ON, "offhours-order": "2", "offhours-order-wait": "0"}, STOPPED)
    web = res("web", {**ON, "offhours-order": "2", "offhours-order-wait": "1h"}, STOPPED)
    seen = {db.key: now - timedelta(hours=2), cache.key: now - timedelta(minutes=30)}
    decisions = plan([db, cache, app, web], now, MONDAY, CATALOG, Policy(), running_since=seen)
    found = by_name(decisions)
    assert found["app"].action is Action.START
    assert found["web"].action is Action.SKIP
    assert "waiting for order 1: cache running since Mon 08:30 UTC, starts 1 h 00 min" in (
        found["web"].reason
    )


def test_stops_go_in_reverse_and_other_schedules_are_not_held() -> None:
    night = MONDAY + timedelta(hours=19, minutes=5)
    db, app = res("db", ON, RUNNING), res("app", {**ON, "offhours-order": "1"}, RUNNING)
    other = res("other", {"schedule": "mon-fri 08:00-19:00 UTC"}, RUNNING)
    found = run_plan([db, app, other], night)
    assert found["app"].action is Action.STOP
    assert found["db"].action is Action.SKIP
    assert found["db"].reason.endswith("waiting for order 1: app not yet off")
    assert found["other"].action is Action.STOP
    after = run_plan([db, res("app", app.tags, STOPPED)], night + timedelta(minutes=15))
    assert after["db"].action is Action.STOP


@pytest.mark.parametrize("tag", [{"offhours-order": "first"}, {"offhours-order-wait": "soon"}])
def test_a_bad_order_tag_is_that_resource_s_problem(tag: dict[str, str]) -> None:
    night = MONDAY + timedelta(hours=20)
    bad = res("bad", {**ON, **tag}, RUNNING)
    db, app = res("db", ON, RUNNING), res("app", {**ON, "offhours-order": "1"}, STOPPED)
    found = run_plan([bad, db, app], night)
    assert found["bad"].problem and found["bad"].action is Action.SKIP
    assert "bad offhours-order or offhours-order-wait tag" in found["bad"].reason
    assert found["db"].action is Action.STOP  # the rest is scheduled


def test_observed_running_counts_from_the_first_sighting() -> None:
    rules = Rules()
    db, app = res("db", ON, RUNNING), res("app", {**ON, "offhours-order": "1"}, STOPPED)
    lone = res("lone", {"schedule": "daytime"}, RUNNING)
    first = observed_running([db, app, lone], {}, MONDAY, rules)
    assert first == {db.key: MONDAY}  # only groups with an order are remembered
    assert observed_running([db, app], first, MONDAY + timedelta(hours=1), rules) == first
    assert observed_running([res("db", ON, STOPPED)], first, MONDAY, rules) == {}


def test_a_window_from_the_catalog_starts_an_azure_vm_and_stops_it_after(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(
        "schedules:\n"
        "  - name: patched\n"
        "    periods: [{days: mon-fri, start: '08:00', stop: '19:00'}]\n"
        "    maintenance: wed 02:00-03:00 UTC\n"
    )
    catalog = schedules.load_catalog([tmp_path])
    vm = res("vm", {"schedule": "patched"}, STOPPED)
    wednesday = MONDAY + timedelta(days=2)
    (early,) = plan([vm], wednesday + timedelta(hours=1, minutes=45), wednesday, catalog, Policy())
    assert early.action is Action.SKIP
    (start,) = plan([vm], wednesday + timedelta(hours=1, minutes=50), wednesday, catalog, Policy())
    assert (start.action, start.trigger) == (Action.START, "maintenance")
    assert start.reason == (
        "patched: off, maintenance window 'wed 02:00-03:00 UTC' Wed 02:00-03:00 UTC: "
        "running from Wed 01:50 (10 min early)"
    )
    # After the window: stopped, even though it was started less than the grace period ago.
    running = res("vm", vm.tags, RUNNING, started_at=wednesday + timedelta(hours=1, minutes=50))
    three = wednesday + timedelta(hours=3)
    (stop,) = plan([running], three, three - timedelta(minutes=15), catalog, Policy())
    assert (stop.action, stop.trigger) == (Action.STOP, "maintenance")
    assert "maintenance window 'wed 02:00-03:00 UTC' Wed 02:00-03:00 UTC over" in stop.reason


def test_a_window_written_in_the_tag_works_on_any_cloud() -> None:
    tags = {"schedule": "office-hours", "maintenance-window": "sat 10:00-12:00 UTC"}
    saturday = MONDAY + timedelta(days=5, hours=10)
    last = saturday - timedelta(minutes=15)
    (decision,) = plan([res("vm", tags, STOPPED)], saturday, last, CATALOG, Policy())
    assert decision.action is Action.START
    bad = {"schedule": "office-hours", "maintenance-window": "saturday at ten"}
    (problem,) = plan([res("vm", bad, RUNNING)], saturday, last, CATALOG, Policy())
    assert problem.problem and "bad maintenance-window 'saturday at ten'" in problem.reason


def test_the_state_object_keeps_what_the_order_needs_and_nothing_when_unused() -> None:
    from ledger.run_state import StateError, TargetState

    empty = TargetState(last_run=MONDAY)
    assert b"running_since" not in empty.to_json() and b"held" not in empty.to_json()
    state = TargetState(last_run=MONDAY, running_since={"k/db": MONDAY}, held={"k/app"})
    again = TargetState.from_json(state.to_json())
    assert (again.running_since, again.held) == ({"k/db": MONDAY}, {"k/app"})
    broken = state.to_json().replace(b'"held":["k/app"]', b'"held":"k/app"')
    with pytest.raises(StateError, match="held must be a list"):
        TargetState.from_json(broken)
