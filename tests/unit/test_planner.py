"""The planner is pure: resources + instant + last run -> decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import schedules
from functions.planner import Policy, plan
from providers.base import Action, Resource, ResourceState

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)
CATALOG = schedules.load_catalog()


def box(
    tags: dict[str, str], state: ResourceState = ResourceState.RUNNING, **kw: object
) -> Resource:
    return Resource("aws", "1", "eu-west-1", "ec2", "i-1", "box", tags, state, **kw)  # type: ignore[arg-type]


def decide(
    resource: Resource,
    now: datetime,
    last_run: datetime | None = None,
    policy: Policy | None = None,
    **kw: frozenset[str],
) -> tuple[Action, str]:
    (decision,) = plan([resource], now, last_run, CATALOG, policy or Policy(), **kw)
    return decision.action, decision.reason


def test_running_in_off_hours_is_stopped_with_a_readable_reason() -> None:
    action, reason = decide(box({"schedule": "office-hours"}), MONDAY + timedelta(hours=20))
    assert action is Action.STOP
    assert reason == "office-hours: off since Mon 19:00 UTC"


def test_start_only_at_a_transition_since_the_last_run() -> None:
    stopped = box({"schedule": "office-hours"}, ResourceState.STOPPED)
    nine = MONDAY + timedelta(hours=9)
    assert (
        decide(stopped, nine, last_run=MONDAY + timedelta(hours=7, minutes=45))[0] is Action.START
    )
    # Already past the transition at the last run: someone stopped it since; leave it.
    action, reason = decide(stopped, nine, last_run=MONDAY + timedelta(hours=8, minutes=45))
    assert action is Action.SKIP and "left off" in reason
    # First run ever: no transition is known to have been missed.
    assert decide(stopped, nine, last_run=None)[0] is Action.SKIP


def test_retry_starts_a_resource_whose_start_failed() -> None:
    stopped = box({"schedule": "office-hours"}, ResourceState.STOPPED)
    nine = MONDAY + timedelta(hours=9)
    action, reason = decide(
        stopped, nine, nine - timedelta(minutes=15), retry=frozenset({stopped.key})
    )
    assert action is Action.START and "retrying" in reason


def test_grace_period_for_a_box_started_by_hand() -> None:
    night = MONDAY + timedelta(hours=22)
    started = box({"schedule": "office-hours"}, started_at=night - timedelta(minutes=30))
    action, reason = decide(started, night)
    assert action is Action.SKIP and "grace period until 22:30 UTC" in reason
    assert decide(started, night + timedelta(minutes=31))[0] is Action.STOP


def test_a_start_time_in_the_future_is_not_a_manual_start() -> None:
    night = MONDAY + timedelta(hours=22)
    skewed = box({"schedule": "office-hours"}, started_at=night + timedelta(days=3))
    assert decide(skewed, night)[0] is Action.STOP


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (
            {"schedule": "office-hours", "environment": "PRODUCTION"},
            "protected: environment=PRODUCTION",
        ),
        ({"schedule": "office-hours", "schedule-override": "opt-out"}, "opted out"),
        ({"schedule": "off=(M-F,19);on=(M-F,7);tz=utc", "x": "y"}, "off since"),
        ({"schedule": "nonsense!!"}, "bad schedule tag 'nonsense!!'"),
        (
            {"schedule": "office-hours", "schedule-override": "until-whenever"},
            "bad schedule-override",
        ),
    ],
)
def test_reasons(tags: dict[str, str], expected: str) -> None:
    assert expected in decide(box(tags), MONDAY + timedelta(hours=20))[1]


def test_bad_tags_are_flagged_as_problems() -> None:
    (decision,) = plan([box({"schedule": "mon-fry"})], MONDAY, None, CATALOG, Policy())
    assert decision.problem and decision.action is Action.SKIP


def test_override_wins_both_ways() -> None:
    keep = box(
        {"schedule": "office-hours", "schedule-override": "running-until-20261124t0000z"},
        ResourceState.STOPPED,
    )
    assert decide(keep, MONDAY + timedelta(hours=20))[0] is Action.START
    park = box({"schedule": "office-hours", "schedule-override": "stopped-until-20261124t1200z"})
    assert decide(park, MONDAY + timedelta(days=1, hours=10))[0] is Action.STOP


def test_unmanaged_and_transitional_resources_are_never_touched() -> None:
    member = box({"schedule": "office-hours"}, unmanaged_reason="member of Auto Scaling group w")
    assert decide(member, MONDAY + timedelta(hours=20)) == (
        Action.SKIP,
        "member of Auto Scaling group w",
    )
    moving = box({"schedule": "office-hours"}, ResourceState.TRANSITIONAL)
    assert decide(moving, MONDAY + timedelta(hours=20))[0] is Action.SKIP


def test_scaled_kinds_scale_down_and_idle_resources_go_off() -> None:
    group = box({"schedule": "office-hours"}, off_state=ResourceState.SCALED_DOWN)
    assert decide(group, MONDAY + timedelta(hours=20))[0] is Action.SCALE_DOWN
    idle = box({"idle-stop": "60m"}, off_state=ResourceState.SCALED_DOWN, idle=True)
    action, reason = decide(idle, MONDAY + timedelta(hours=10))
    assert action is Action.SCALE_DOWN and reason == "idle: no traffic in the last 60m"


def test_wake_brings_back_what_is_off() -> None:
    endpoint = box(
        {"idle-stop": "60m"}, ResourceState.SCALED_DOWN, off_state=ResourceState.SCALED_DOWN
    )
    assert decide(endpoint, MONDAY, wake=frozenset({"box"}))[0] is Action.SCALE_UP


def test_naive_instants_are_rejected() -> None:
    with pytest.raises(ValueError, match="zone-aware"):
        plan([], datetime(2026, 11, 23), None, CATALOG, Policy())
