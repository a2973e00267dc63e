"""The planner is pure: resources + instant + last run -> decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import schedules
from functions.jobs.planner import Policy, plan
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


# ---- stop-only and start-only schedules -------------------------------------------------

STOP_ONLY = {"schedule": "stop-only mon-fri 19:00 UTC"}
START_ONLY = {"schedule": "start-only mon-fri 07:00 UTC"}
LONG_AGO = MONDAY - timedelta(days=3)


def test_stop_only_stops_what_runs_at_the_stop() -> None:
    running = box(STOP_ONLY, started_at=LONG_AGO)
    action, reason = decide(running, MONDAY + timedelta(hours=19), MONDAY + timedelta(hours=18))
    assert action is Action.STOP
    assert reason == (
        "stop-only mon-fri 19:00 UTC: stop-only, stop at Mon 19:00 UTC "
        "(caught up until Tue 00:00 UTC)"
    )


def test_stop_only_catches_up_a_missed_evening_run_but_not_the_next_morning() -> None:
    running = box(STOP_ONLY, started_at=LONG_AGO)
    before_stop = MONDAY + timedelta(hours=18, minutes=45)
    assert decide(running, MONDAY + timedelta(hours=23), before_stop)[0] is Action.STOP
    action, reason = decide(running, MONDAY + timedelta(days=1, hours=8), before_stop)
    assert action is Action.SKIP
    assert reason.endswith("nothing to do until the next stop, Tue 19:00 UTC")


def test_stop_only_leaves_a_box_started_by_hand_after_the_stop_running() -> None:
    """Stopped at 19:00, started by hand at 21:00: it runs until the next stop (Tuesday
    19:00), long past any grace period, and is stopped then."""
    at_nine = MONDAY + timedelta(hours=21)
    started = box(STOP_ONLY, started_at=at_nine)
    for minutes in (0, 15, 90, 179):  # grace is 60 minutes: no grace-period stop-fight
        now = at_nine + timedelta(minutes=minutes)
        action, reason = decide(started, now, now - timedelta(minutes=15))
        assert action is Action.SKIP, minutes
        assert "started by hand at Mon 21:00 UTC after the stop" in reason
        assert reason.endswith("left running until the next stop, Tue 19:00 UTC")
    tuesday = MONDAY + timedelta(days=1)
    assert decide(started, tuesday + timedelta(hours=9), tuesday)[0] is Action.SKIP
    next_stop = tuesday + timedelta(hours=19)
    assert decide(started, next_stop, next_stop - timedelta(minutes=15))[0] is Action.STOP


def test_stop_only_without_a_start_time_acts_once_per_stop() -> None:
    """Kinds that do not report when they started (a scaled-up group): a run after the
    stop already made it, so what runs now was started since."""
    group = box(STOP_ONLY)
    seven = MONDAY + timedelta(hours=19)
    assert decide(group, seven + timedelta(minutes=5), seven - timedelta(minutes=10))[0] is (
        Action.STOP
    )
    action, reason = decide(group, MONDAY + timedelta(hours=21), seven + timedelta(minutes=5))
    assert action is Action.SKIP and "this stop was made by the run at Mon 19:05 UTC" in reason


def test_stop_only_never_starts_and_retries_a_failed_stop() -> None:
    stopped = box(STOP_ONLY, ResourceState.STOPPED)
    for hours in (7, 8, 19, 20, 24 + 8):
        now = MONDAY + timedelta(hours=hours)
        assert decide(stopped, now, now - timedelta(hours=1))[0] is Action.SKIP
    # Still running from before the stop after a run that tried: stop again.
    still = box(STOP_ONLY, started_at=LONG_AGO)
    now = MONDAY + timedelta(hours=19, minutes=15)
    assert decide(still, now, MONDAY + timedelta(hours=19))[0] is Action.STOP


def test_an_override_still_wins_over_a_stop_only_schedule() -> None:
    tags = {**STOP_ONLY, "schedule-override": "running-until-20261123t2200z"}
    assert decide(box(tags, started_at=LONG_AGO), MONDAY + timedelta(hours=20))[0] is Action.SKIP
    tags = {**STOP_ONLY, "schedule-override": "stopped-until-20261124t0900z"}
    assert decide(box(tags), MONDAY + timedelta(days=1, hours=8))[0] is Action.STOP


def test_start_only_starts_once_per_start_and_never_stops() -> None:
    stopped = box(START_ONLY, ResourceState.STOPPED)
    seven = MONDAY + timedelta(hours=7)
    action, reason = decide(stopped, seven + timedelta(hours=3), seven - timedelta(minutes=15))
    assert action is Action.START  # a missed morning run is caught up
    assert reason.startswith("start-only mon-fri 07:00 UTC: start-only, start at Mon 07:00 UTC")
    # Someone stopped it after the start: left alone.
    action, reason = decide(stopped, seven + timedelta(hours=3), seven + timedelta(minutes=15))
    assert action is Action.SKIP and "left off until the next start, Tue 07:00 UTC" in reason
    # Outside the catch-up window, and for running resources at night: nothing.
    assert decide(stopped, seven - timedelta(hours=1), seven - timedelta(hours=2))[0] is (
        Action.SKIP
    )
    running = box(START_ONLY, started_at=LONG_AGO)
    assert decide(running, MONDAY + timedelta(hours=23), MONDAY + timedelta(hours=22))[0] is (
        Action.SKIP
    )
    # A start that failed is retried while the window lasts.
    retried = decide(
        stopped,
        seven + timedelta(hours=1),
        seven + timedelta(minutes=45),
        retry=frozenset({stopped.key}),
    )
    assert retried[0] is Action.START
