"""Which resources are due a notice, and who gets it: pure, at fixed instants."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import pytest

import schedules
from functions.jobs.notices.model import ChannelKind, NoticeConfig, Recipient
from functions.jobs.notices.planning import due_notices, group
from functions.jobs.planner import Policy, plan
from providers.base import Resource, ResourceState

MONDAY_1850 = datetime(2026, 11, 23, 18, 50, tzinfo=UTC)  # office-hours (UTC) stop at 19:00
CATALOG = schedules.load_catalog((), default_tz="UTC")
WEB = (Recipient(ChannelKind.SLACK, "https://hooks.example/web", "team web"),)
CONFIG = NoticeConfig(email=True, channels={"web": WEB})


def box(
    name: str,
    tags: Mapping[str, str],
    state: ResourceState = ResourceState.RUNNING,
) -> Resource:
    return Resource("aws", "1", "eu-west-1", "ec2", f"i-{name}", name, dict(tags), state)


def due(
    resources: list[Resource],
    now: datetime = MONDAY_1850,
    config: NoticeConfig = CONFIG,
    policy: Policy | None = None,
    claimed: frozenset[str] = frozenset(),
) -> dict[str, datetime]:
    policy = policy or Policy()
    decisions = plan(resources, now, now - timedelta(minutes=15), CATALOG, policy)
    notices, _ = due_notices(resources, decisions, now, CATALOG, policy, config, claimed)
    return {n.resource.name: n.stop_at for n in notices}


OWNED = {"schedule": "office-hours", "owner": "alice@example.com"}


def test_a_running_resource_is_due_when_its_stop_is_inside_the_window() -> None:
    assert due([box("a", OWNED)]) == {"a": datetime(2026, 11, 23, 19, 0, tzinfo=UTC)}


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 11, 23, 18, 44, tzinfo=UTC), False),  # 16 min before: not yet
        (datetime(2026, 11, 23, 18, 45, tzinfo=UTC), True),  # exactly the window
        (datetime(2026, 11, 23, 19, 0, tzinfo=UTC), False),  # the stop itself: too late
        (datetime(2026, 11, 27, 18, 50, tzinfo=UTC), True),  # Friday
        (datetime(2026, 11, 28, 18, 50, tzinfo=UTC), False),  # Saturday: already off
    ],
)
def test_the_window_is_now_exclusive_to_now_plus_15_minutes(now: datetime, expected: bool) -> None:
    assert bool(due([box("a", OWNED)], now)) is expected


def test_a_tag_asks_for_a_longer_window_never_a_shorter_one() -> None:
    early = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
    assert due([box("a", {**OWNED, "notice-minutes": "60"})], early) == {
        "a": datetime(2026, 11, 23, 19, 0, tzinfo=UTC)
    }
    assert due([box("a", {**OWNED, "notice-minutes": "5"})]) != {}  # still 15 min


def test_a_bad_window_tag_is_a_warning_and_the_default_applies() -> None:
    resource = box("a", {**OWNED, "notice-minutes": "soon"})
    decisions = plan([resource], MONDAY_1850, None, CATALOG, Policy())
    notices, warnings = due_notices([resource], decisions, MONDAY_1850, CATALOG, Policy(), CONFIG)
    assert [n.resource.name for n in notices] == ["a"]
    assert "notice-minutes='soon'" in warnings[0]


@pytest.mark.parametrize(
    "tags",
    [
        {**OWNED, "environment": "prod"},  # protected
        {**OWNED, "schedule-override": "opt-out"},
        {**OWNED, "schedule-override": "running-until-20261123t2100z"},  # kept past 19:00
        {**OWNED, "schedule": "always-on"},
        {**OWNED, "schedule": "start-only 08:00"},
        {**OWNED, "schedule": "mon-fry 9-5"},  # a tag problem
        {**OWNED, "hourly-cost": "lots"},  # a tag problem the planner reports
        {"schedule": "office-hours"},  # nobody to tell
    ],
)
def test_no_notice_where_the_planner_would_not_stop_or_nobody_can_be_told(
    tags: dict[str, str],
) -> None:
    assert due([box("a", tags)]) == {}


def test_an_override_that_ends_before_the_stop_does_not_hide_it() -> None:
    tags = {**OWNED, "schedule-override": "running-until-20261123t1855z"}
    assert due([box("a", tags)]) != {}


def test_stopped_transitional_and_stopping_now_resources_get_nothing() -> None:
    assert due([box("a", OWNED, ResourceState.STOPPED)]) == {}
    assert due([box("a", OWNED, ResourceState.TRANSITIONAL)]) == {}
    # 19:05: the run stops it now; a warning would come after the fact.
    assert due([box("a", OWNED)], datetime(2026, 11, 23, 19, 5, tzinfo=UTC)) == {}


def test_a_stop_only_schedule_warns_before_its_stop() -> None:
    tags = {"schedule": "stop-only 19:00", "owner": "dana@example.com"}
    assert due([box("a", tags)]) == {"a": datetime(2026, 11, 23, 19, 0, tzinfo=UTC)}


def test_the_share_brake_of_a_run_does_not_suppress_a_notice() -> None:
    assert due([box("a", OWNED)], policy=Policy(max_stop_share=0.1)) != {}


def test_a_claimed_notice_is_not_due_again() -> None:
    resources = [box("a", OWNED)]
    first = due(resources)
    key = f"{resources[0].key}@2026-11-23T19:00:00Z"
    assert first and due(resources, claimed=frozenset({key})) == {}


def test_the_stop_instant_follows_the_schedules_zone_across_dst() -> None:
    # Berlin leaves summer time on 2026-10-25: 19:00 local is 17:00 UTC before, 18:00 after.
    tags = {"schedule": "mon-fri 08:00-19:00 Europe/Berlin", "owner": "a@example.com"}
    friday = datetime(2026, 10, 23, 16, 50, tzinfo=UTC)
    assert due([box("a", tags)], friday) == {"a": datetime(2026, 10, 23, 17, 0, tzinfo=UTC)}
    monday = datetime(2026, 10, 26, 17, 50, tzinfo=UTC)
    assert due([box("a", tags)], monday) == {"a": datetime(2026, 10, 26, 18, 0, tzinfo=UTC)}


def test_recipients_owner_email_and_team_channels() -> None:
    resources = [
        box("a", {**OWNED, "team": "web"}),
        box("b", {"schedule": "office-hours", "owner": "Alice@Example.com"}),
        box("c", {"schedule": "office-hours", "owner": "bob", "team": "web"}),
        box("d", {"schedule": "office-hours", "owner": "carol@example.com"}),
    ]
    decisions = plan(resources, MONDAY_1850, None, CATALOG, Policy())
    notices, _ = due_notices(resources, decisions, MONDAY_1850, CATALOG, Policy(), CONFIG)
    by_name = {n.resource.name: n for n in notices}
    assert by_name["c"].problems == ("owner tag 'bob' is not an email address",)
    assert by_name["c"].recipients == WEB
    messages = {str(m.recipient): [n.resource.name for n in m.notices] for m in group(notices)}
    assert messages == {
        "alice@example.com": ["a", "b"],  # one message for one owner
        "carol@example.com": ["d"],
        "team web (slack)": ["a", "c"],
    }


def test_without_a_mail_transport_owner_addresses_are_not_recipients() -> None:
    config = NoticeConfig(email=False, channels={"web": WEB})
    assert due([box("a", OWNED)], config=config) == {}
    assert due([box("a", {**OWNED, "team": "web"})], config=config) != {}
