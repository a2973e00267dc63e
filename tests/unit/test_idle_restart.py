"""When an idle-stopped box comes back (``idle-restart``), decided by the pure planner.

``next-on`` (the default): held off for the rest of the working hours it was idle in,
started at the schedule's next on-transition and retried through those working hours
until it runs. ``manual``: off until a person asks (``offhours wake``, a snooze link or an
override tag), across on-transitions. A wake or an override wins over both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import schedules
from functions.jobs.planner import Policy, plan
from providers.base import Action, Resource, ResourceState

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)
IDLE_AT = MONDAY + timedelta(hours=14)
CATALOG = schedules.load_catalog()


def stopped(**tags: str) -> Resource:
    tags = {"schedule": "office-hours", "idle-stop": "2h", **tags}
    return Resource("aws", "1", "eu-west-1", "ec2", "i-1", "gpu", tags, ResourceState.STOPPED)


def decide(
    resource: Resource, now: datetime, last_run: datetime, wake: frozenset[str] = frozenset()
) -> tuple[Action, str]:
    (decision,) = plan(
        [resource],
        now,
        last_run,
        CATALOG,
        Policy(),
        wake=wake,
        retry=frozenset({resource.key}),
        idle_off={resource.key: IDLE_AT},
    )
    return decision.action, decision.reason


@pytest.mark.parametrize("tags", [{}, {"idle-restart": "next-on"}, {"idle-restart": "Next-On "}])
def test_next_on_holds_the_day_it_was_idle_then_starts_at_the_next_on_transition(
    tags: dict[str, str],
) -> None:
    box = stopped(**tags)
    action, reason = decide(box, IDLE_AT + timedelta(hours=1), IDLE_AT + timedelta(minutes=45))
    assert action is Action.SKIP
    assert reason.endswith(
        "stopped as idle at Mon 14:00 UTC: started again at the schedule's next "
        "on-transition, by offhours wake or a snooze link"
    )
    tuesday_eight = MONDAY + timedelta(days=1, hours=8)
    action, _ = decide(
        box, tuesday_eight + timedelta(minutes=5), tuesday_eight - timedelta(hours=9)
    )
    assert action is Action.START


def test_next_on_is_retried_through_the_working_hours_until_it_runs() -> None:
    """The start at the on-transition failed: every later run that day starts it again."""
    ten = MONDAY + timedelta(days=1, hours=10)
    action, reason = decide(stopped(), ten, ten - timedelta(minutes=15))
    assert action is Action.START and "retrying the start" in reason


def test_manual_stays_off_across_on_transitions() -> None:
    box = stopped(**{"idle-restart": "manual"})
    tuesday_eight = MONDAY + timedelta(days=1, hours=8)
    for now in (IDLE_AT + timedelta(hours=1), tuesday_eight + timedelta(minutes=5)):
        action, reason = decide(box, now, now - timedelta(minutes=15))
        assert action is Action.SKIP
        assert reason.endswith(
            "stopped as idle at Mon 14:00 UTC: idle-restart=manual, off until offhours wake "
            "or a snooze link"
        )


def test_a_wake_or_an_override_brings_back_either_kind() -> None:
    tuesday = MONDAY + timedelta(days=1, hours=10)
    for restart in ("manual", "next-on"):
        box = stopped(**{"idle-restart": restart})
        action, reason = decide(box, IDLE_AT + timedelta(hours=1), IDLE_AT, frozenset({"gpu"}))
        assert action is Action.START and reason == "woken by request (offhours wake)"
        snoozed = stopped(
            **{"idle-restart": restart, "schedule-override": "running-until-20261124t1800z"}
        )
        action, reason = decide(snoozed, tuesday, tuesday - timedelta(minutes=15))
        assert action is Action.START and reason.startswith("override: running until")


def test_a_bad_value_falls_back_to_next_on_never_to_off() -> None:
    """Discovery reports the bad tag; the plan never keeps a box off for it."""
    tuesday_eight = MONDAY + timedelta(days=1, hours=8)
    box = stopped(**{"idle-restart": "never"})
    action, _ = decide(
        box, tuesday_eight + timedelta(minutes=5), tuesday_eight - timedelta(hours=9)
    )
    assert action is Action.START
