"""Which resources get a notice, when, and who is told. Pure: the clock is a parameter.

A notice is due for a resource that runs now and that its schedule stops at an instant S
with now < S <= now + window. The stop instant is the schedule's next transition (the
one ``offhours explain`` shows); whether that stop will really happen is the planner's
decision at S, so overrides, protection, opt-outs and tag problems follow the same rules
as a run's: a resource kept running at S by an override, or never touched, gets nothing.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

import schedules
from functions.jobs.notices.model import ChannelKind, Message, Notice, NoticeConfig, Recipient
from functions.jobs.planner import Policy, plan
from providers.base import OFF_ACTIONS, Decision, Resource, ResourceState

# The longest warning a tag may ask for: a day.
MAX_WINDOW = timedelta(hours=24)
# Close enough to RFC 5321 for a tag value; anything else is reported, not guessed at.
_ADDRESS = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)


def valid_address(value: str) -> bool:
    return len(value) <= 254 and _ADDRESS.match(value) is not None


def due_notices(
    resources: Iterable[Resource],
    decisions: Sequence[Decision],
    now: datetime,
    catalog: schedules.Catalog,
    policy: Policy,
    config: NoticeConfig,
    claimed: Collection[str] = frozenset(),
) -> tuple[list[Notice], list[str]]:
    """Notices due now that no earlier run claimed (``claimed``: their keys), and
    warnings about tags that could not be read (a bad ``notice-minutes`` value)."""
    if now.tzinfo is None:
        raise ValueError("due_notices needs a zone-aware instant")
    now_decisions = {d.resource.key: d for d in decisions}
    notices: list[Notice] = []
    warnings: list[str] = []
    for resource in resources:
        decision = now_decisions.get(resource.key)
        if resource.state is not ResourceState.RUNNING or decision is None:
            continue
        if decision.action in OFF_ACTIONS or decision.problem:
            continue  # stopping now, or a tag problem: no warning of a future stop
        window, warning = _window(resource, config)
        if warning:
            warnings.append(warning)
        notice = _notice(resource, now, window, catalog, policy, config)
        if notice is not None and notice.key not in claimed:
            notices.append(notice)
    return notices, warnings


def _notice(
    resource: Resource,
    now: datetime,
    window: timedelta,
    catalog: schedules.Catalog,
    policy: Policy,
    config: NoticeConfig,
) -> Notice | None:
    if resource.idle_stop_at is not None:
        return _idle_notice(resource, now, window, config)
    upcoming = _next_stop(resource, now, catalog, policy)
    if upcoming is None or not now < upcoming[0] <= now + window:
        return None
    stop_at, schedule = upcoming
    # The planner's own decision at the stop instant; the share brake is a run's
    # judgement of a whole fleet, not of one resource.
    later = plan([resource], stop_at, now, catalog, replace(policy, force=True))[0]
    if later.action not in OFF_ACTIONS:
        return None
    recipients, problems = recipients_of(resource, config)
    if not recipients and not problems:
        return None  # nobody to tell, and nothing wrong with that
    label = later.schedule or schedule.name or resource.tags.get(policy.tag_key, "")
    return Notice(resource, stop_at, label, schedule.timezone, later.reason, recipients, problems)


def _idle_notice(
    resource: Resource, now: datetime, window: timedelta, config: NoticeConfig
) -> Notice | None:
    """The idle rule announced a stop at the end of its notice window; the stop happens
    only if the resource is still idle then (``providers/idle_check.py``)."""
    stop_at = resource.idle_stop_at
    if stop_at is None or not now < stop_at <= now + window:
        return None
    recipients, problems = recipients_of(resource, config)
    if not recipients and not problems:
        return None
    return Notice(resource, stop_at, "idle", "UTC", resource.idle_note, recipients, problems)


def _next_stop(
    resource: Resource, now: datetime, catalog: schedules.Catalog, policy: Policy
) -> tuple[datetime, schedules.Schedule] | None:
    """The schedule's next transition when it is a stop (as ``offhours explain`` shows)."""
    spec = resource.tags.get(policy.tag_key)
    if spec is None:
        return None
    try:
        schedule = catalog.resolve(spec)
        upcoming = None if schedule.opt_out else schedules.next_transition(schedule, now)
    except schedules.ScheduleError:
        return None
    if upcoming is None or schedule.sides is schedules.Sides.START_ONLY:
        return None
    stop_at, state = upcoming
    return (stop_at, schedule) if state is schedules.State.STOPPED else None


def _window(resource: Resource, config: NoticeConfig) -> tuple[timedelta, str]:
    value = resource.tags.get(config.window_tag)
    if value is None:
        return config.window, ""
    try:
        minutes = int(value.strip())
    except ValueError:
        minutes = -1
    if not 1 <= minutes <= MAX_WINDOW.total_seconds() // 60:
        return config.window, (
            f"{resource.name or resource.id}: {config.window_tag}={value!r} is not a number of "
            f"minutes from 1 to {int(MAX_WINDOW.total_seconds() // 60)}; "
            f"the default {int(config.window.total_seconds() // 60)} min is used"
        )
    # A tag asks for a longer warning, never for none.
    return max(config.window, timedelta(minutes=minutes)), ""


def recipients_of(
    resource: Resource, config: NoticeConfig
) -> tuple[tuple[Recipient, ...], tuple[str, ...]]:
    found: list[Recipient] = []
    problems: list[str] = []
    owner = resource.tags.get(config.owner_key, "").strip()
    if owner and not valid_address(owner):
        problems.append(f"{config.owner_key} tag {owner!r} is not an email address")
    elif owner and config.email:
        found.append(Recipient(ChannelKind.EMAIL, owner.lower()))  # one per address, any case
    team = resource.tags.get(config.team_key, "").strip()
    for channel in config.channels.get(team, ()) if team else ():
        if channel.kind is ChannelKind.EMAIL and not config.email:
            continue
        if channel not in found:
            found.append(channel)
    return tuple(found), tuple(problems)


def group(notices: Iterable[Notice]) -> list[Message]:
    """One message per recipient: every notice of theirs in this run, soonest first."""
    by_recipient: dict[Recipient, list[Notice]] = {}
    for notice in notices:
        for recipient in notice.recipients:
            by_recipient.setdefault(recipient, []).append(notice)
    return [
        Message(
            recipient,
            tuple(sorted(items, key=lambda n: (n.stop_at, n.resource.name, n.resource.key))),
        )
        for recipient, items in sorted(by_recipient.items(), key=lambda kv: kv[0])
    ]
