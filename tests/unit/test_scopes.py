"""The one merge rule for schedules by scope, and how the planner reads a scope."""

from __future__ import annotations

from datetime import UTC, datetime

import schedules
from functions.jobs.planner import Policy, plan
from providers.base import Action, Resource, ResourceState, Scope
from providers.scopes import inherit, lists_everything, nest, schedule_source, scope_of

EVENING = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)  # Monday, after office hours
CATALOG = schedules.load_catalog()
GROUP = scope_of("resource group dev-rg", {"schedule": "office-hours", "team": "web"})


def _vm(own: dict[str, str], scope: Scope | None) -> Resource:
    tags, within = inherit(own, scope)
    return Resource("azure", "s", "westeurope", "vms", "/x/vm", "vm", tags, ResourceState.RUNNING,
                    scope=within)  # fmt: skip


def _decide(resource: Resource) -> tuple[Action, str]:
    (decision,) = plan([resource], EVENING, None, CATALOG, Policy())
    return decision.action, decision.reason


def test_own_tags_win_key_by_key_and_the_inherited_keys_are_named() -> None:
    tags, within = inherit({"team": "api"}, GROUP)
    assert tags == {"schedule": "office-hours", "team": "api"}
    assert within is not None and within.inherited == {"schedule"}
    assert inherit({"a": "1"}, None) == ({"a": "1"}, None)


def test_untagged_scopes_lend_nothing_and_cost_no_wider_listing() -> None:
    assert scope_of("project p", {}) is None
    assert not lists_everything(None, "schedule")
    assert not lists_everything(scope_of("project p", {"team": "x"}), "schedule")
    assert lists_everything(GROUP, "schedule")


def test_an_inner_scope_wins_over_its_outer_one() -> None:
    workspace = nest("workspace ws", {"schedule": "extended-hours"}, GROUP, "schedule")
    assert workspace == Scope("workspace ws", {"schedule": "extended-hours", "team": "web"})
    # The label names where the schedule comes from.
    plain = nest("workspace ws", {"team": "ml"}, GROUP, "schedule")
    assert plain == Scope("resource group dev-rg", {"schedule": "office-hours", "team": "ml"})
    assert nest("workspace ws", {}, None, "schedule") is None


def test_the_reason_says_where_the_schedule_came_from() -> None:
    assert _decide(_vm({}, GROUP)) == (
        Action.STOP,
        "office-hours: off since Mon 19:00 UTC (schedule from resource group dev-rg)",
    )
    own = _vm({"schedule": "extended-hours"}, GROUP)
    assert _decide(own) == (Action.SKIP, "extended-hours: on since Mon 07:00 UTC; already running")
    assert schedule_source(own.scope, "schedule") == ""


def test_own_opt_out_still_opts_out() -> None:
    assert _decide(_vm({"schedule-override": "opt-out"}, GROUP)) == (
        Action.SKIP,
        "opted out (schedule-override=opt-out)",
    )


def test_a_protected_scope_protects_whatever_the_resource_says() -> None:
    prod = scope_of("account 1", {"schedule": "office-hours", "environment": "prod"})
    assert _decide(_vm({"environment": "dev"}, prod)) == (
        Action.SKIP,
        "protected: environment=prod (on account 1)",
    )
    assert _decide(_vm({"environment": "prod"}, GROUP)) == (
        Action.SKIP,
        "protected: environment=prod",
    )
