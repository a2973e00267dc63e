"""Start and stop order: a database up before its app, and down after it.

Resources of one target that share a schedule tag value form a group. Each has an
order (``offhours-order`` tag, an integer, default 0) and a wait (``offhours-order-wait``,
default 5 min). In a group with more than one order:

- a start of order N goes ahead only when every resource of a lower order was observed
  running, for at least N's wait since a run first saw it running (or since the cloud
  says it started);
- a stop of order N goes ahead only when every resource of a higher order was observed
  off.

Nothing blocks: a held action is a skip whose reason says what it waits for, and a later
run takes it up (the job keeps held starts and the instants resources were first seen
running in the target's state). A bad order tag is that resource's problem: it is
reported and left out of the ordering, and the rest of the group is scheduled.

Pure: no clock, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from providers.base import OFF_ACTIONS, ON_ACTIONS, Action, Decision, Resource, ResourceState

ORDER_TAG = "offhours-order"
WAIT_TAG = "offhours-order-wait"
DEFAULT_WAIT = timedelta(minutes=5)
MAX_ORDER = 999
MAX_WAIT = timedelta(hours=24)
# The words every held decision's reason carries (``held_starts`` finds them by it).
HELD = "waiting for order"
_WAIT = re.compile(r"(?:([0-9]{1,2})h)?(?:([0-9]{1,4})m)?")


@dataclass(frozen=True)
class Rules:
    schedule_key: str = "schedule"
    order_key: str = ORDER_TAG
    wait_key: str = WAIT_TAG
    default_wait: timedelta = DEFAULT_WAIT


@dataclass(frozen=True)
class _Member:
    index: int
    resource: Resource
    order: int
    wait: timedelta


class OrderError(ValueError):
    """A bad order or wait tag."""


def parse_order(value: str) -> int:
    text = value.strip()
    if not text.lstrip("-").isdigit() or not 0 <= int(text) <= MAX_ORDER:
        raise OrderError(f"{value!r} is not a whole number from 0 to {MAX_ORDER}")
    return int(text)


def parse_wait(value: str) -> timedelta:
    """``10m``, ``1h``, ``1h30m``, or a number of minutes."""
    text = value.strip().lower().replace(" ", "")
    if text.isdigit():
        text += "m"
    match = _WAIT.fullmatch(text) if text else None
    if match is None or not (match[1] or match[2]):
        raise OrderError(f"{value!r} is not a wait like 5m, 1h or 1h30m")
    wait = timedelta(hours=int(match[1] or 0), minutes=int(match[2] or 0))
    if wait > MAX_WAIT:
        raise OrderError(f"{value!r} is longer than {MAX_WAIT}")
    return wait


def sequence(
    decisions: Sequence[Decision],
    now: datetime,
    running_since: Mapping[str, datetime],
    rules: Rules,
) -> list[Decision]:
    """The decisions with every start or stop the order does not allow yet held."""
    out = list(decisions)
    groups: dict[str, list[_Member]] = {}
    for index, decision in enumerate(decisions):
        member = _member(index, decision.resource, rules)
        if isinstance(member, OrderError):
            out[index] = _bad_tag(decision, member)
        elif member is not None:
            spec = decision.resource.tags[rules.schedule_key].strip()
            groups.setdefault(spec, []).append(member)
    for group in groups.values():
        if len({m.order for m in group}) < 2:
            continue
        for member in group:
            decision = out[member.index]
            if decision.action in ON_ACTIONS:
                why = _start_blocker(member, group, now, running_since)
            elif decision.action in OFF_ACTIONS:
                why = _stop_blocker(member, group)
            else:
                continue
            if why:
                out[member.index] = replace(
                    decision, action=Action.SKIP, reason=f"{decision.reason}; {why}"
                )
    return out


def held_starts(decisions: Iterable[Decision]) -> set[str]:
    """Keys of resources whose start the order held in this plan."""
    return {
        d.resource.key
        for d in decisions
        if d.action is Action.SKIP and f"; {HELD} " in d.reason and _wants_on(d)
    }


def observed_running(
    resources: Iterable[Resource], known: Mapping[str, datetime], now: datetime, rules: Rules
) -> dict[str, datetime]:
    """Since when each ordered resource has been seen running, after this run's look:
    a resource first seen running now starts counting now; one seen off is forgotten."""
    resources = [r for r in resources if rules.schedule_key in r.tags]
    ordered = {r.tags[rules.schedule_key].strip() for r in resources if rules.order_key in r.tags}
    return {
        r.key: known.get(r.key, now)
        for r in resources
        if r.tags[rules.schedule_key].strip() in ordered and r.state is ResourceState.RUNNING
    }


def _member(index: int, resource: Resource, rules: Rules) -> _Member | OrderError | None:
    if rules.schedule_key not in resource.tags or resource.unmanaged_reason:
        return None
    try:
        order = parse_order(resource.tags.get(rules.order_key, "0"))
        wait_tag = resource.tags.get(rules.wait_key)
        wait = rules.default_wait if wait_tag is None else parse_wait(wait_tag)
    except OrderError as err:
        return err
    return _Member(index, resource, order, wait)


def _bad_tag(decision: Decision, err: OrderError) -> Decision:
    reason = f"bad {ORDER_TAG} or {WAIT_TAG} tag: {err}; left out of the start and stop order"
    if decision.problem:
        return decision
    return replace(decision, action=Action.SKIP, reason=reason, problem=True)


def _start_blocker(
    member: _Member, group: list[_Member], now: datetime, running_since: Mapping[str, datetime]
) -> str:
    lower = [m for m in group if m.order < member.order]
    if not lower:
        return ""
    down = [m for m in lower if m.resource.state is not ResourceState.RUNNING]
    if down:
        first = min(m.order for m in down)
        names = _names(m for m in down if m.order == first)
        return f"{HELD} {first}: {names} not yet running"
    since = {m.resource.key: _since(m.resource, now, running_since) for m in lower}
    last = max(lower, key=lambda m: since[m.resource.key])
    ready = since[last.resource.key] + member.wait
    if ready <= now:
        return ""
    return (
        f"{HELD} {last.order}: {_names([last])} running since "
        f"{since[last.resource.key]:%a %H:%M} UTC, starts {_span(member.wait)} after it "
        f"(from {ready:%H:%M} UTC)"
    )


def _stop_blocker(member: _Member, group: list[_Member]) -> str:
    higher = [
        m for m in group if m.order > member.order and m.resource.state is not m.resource.off_state
    ]
    if not higher:
        return ""
    last = max(m.order for m in higher)
    return f"{HELD} {last}: {_names(m for m in higher if m.order == last)} not yet off"


def _since(resource: Resource, now: datetime, running_since: Mapping[str, datetime]) -> datetime:
    seen = running_since.get(resource.key, now)
    started = resource.started_at
    # The cloud's own start instant, when it gives one, is when it began running.
    return min(seen, started) if started is not None and started <= now else seen


def _wants_on(decision: Decision) -> bool:
    return decision.resource.state is decision.resource.off_state


def _names(members: Iterable[_Member]) -> str:
    names = sorted(m.resource.name or m.resource.id for m in members)
    shown = ", ".join(names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _span(wait: timedelta) -> str:
    minutes = int(wait.total_seconds() // 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"
