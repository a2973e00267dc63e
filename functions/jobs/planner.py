"""Planning: from discovered resources and one instant to a decision per resource.

Pure: no clock, no I/O, no SDK. The rules (DESIGN.md, schedule semantics):

- never touch what the provider marks unmanaged, protected resources, or resources in a
  transitional state;
- an opt-out (schedule-override tag or Custodian ``off``) leaves the resource alone;
- an active override (``running-until-…`` / ``stopped-until-…``) wins over the schedule;
- the stop side is enforced: running in an off period means stop, unless the resource was
  started by hand within the grace period;
- the start side acts only at transitions: a stopped resource is started when the schedule
  turned on since the last successful run (a missed run catches up), never otherwise,
  so a person who stopped a box during the day is not overridden;
- a run refuses to stop more than ``max_stop_share`` of the managed fleet unless forced;
- a stop-only (start-only) schedule wants its state only inside the catch-up window after
  each switch and leaves the resource alone otherwise. Inside the window it stops what
  still runs from before the stop (a missed run catches up) but never a resource started
  by hand after it: that one runs until the next stop, with no grace period to run out.
  Start-only is the mirror: it starts once per start instant, like the start side.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import schedules
from functions.jobs import maintenance, order
from providers.base import OFF_ACTIONS, Action, Decision, Resource, ResourceState
from providers.idle_rule import RESTART_TAG, Restart, parse_restart
from providers.prices import PRICE_TAG, PriceTagError, parse_hourly
from providers.scopes import schedule_source
from schedules.protected import DEFAULT as DEFAULT_PROTECTED
from schedules.protected import ProtectedTags

_LOOKBACK = timedelta(days=8)


@dataclass(frozen=True)
class Policy:
    tag_key: str = "schedule"
    override_key: str = "schedule-override"
    idle_tag_key: str = "idle-stop"
    hibernate_tag_key: str = "offhours-hibernate"
    protected: ProtectedTags = DEFAULT_PROTECTED
    grace: timedelta = timedelta(minutes=60)
    max_stop_share: float = 1.0
    force: bool = False
    maintenance_key: str = "maintenance-window"
    # A resource is started this long before its maintenance window opens.
    maintenance_lead: timedelta = timedelta(minutes=10)
    order_key: str = order.ORDER_TAG
    order_wait_key: str = order.WAIT_TAG
    order_wait: timedelta = order.DEFAULT_WAIT


@dataclass(frozen=True)
class Intent:
    """What the schedule (or an override) wants, and the sentence that explains it."""

    state: schedules.State
    reason: str
    schedule: str
    # The instant the wanted state began (for the start side: only act on new transitions).
    since: datetime | None
    enforce_start: bool = False
    hibernate: bool = False
    # One-sided schedules: a person's start after ``since`` is left alone (no grace period)
    # until this sentence's instant, e.g. "until the next stop, Tue 19:00 Europe/Berlin".
    leave_until: str = ""
    # What set the wanted state (the ledger's x_Trigger): the schedule, or a window.
    trigger: str = "schedule"


def plan(
    resources: Iterable[Resource],
    now: datetime,
    last_run: datetime | Mapping[str, datetime] | None,
    catalog: schedules.Catalog,
    policy: Policy,
    wake: frozenset[str] = frozenset(),
    retry: frozenset[str] = frozenset(),
    idle_off: Mapping[str, datetime] | None = None,
    running_since: Mapping[str, datetime] | None = None,
) -> list[Decision]:
    """``last_run``: the last successful run, or one per kind (a kind whose discovery
    failed keeps its older instant, so the start transitions it missed are caught up).
    ``wake``: ids or names to bring back now whatever the schedule says.
    ``retry``: resource keys offhours keeps off (its open off-periods); started whenever
    their schedule says on, so a failed start, a clock that went back or a lost state
    never leave a resource off that should run. ``idle_off``: of those, the ones the idle
    rule stopped, and when: such a resource is retried only from its schedule's next
    on-transition (``idle-restart=next-on``) or only when woken (``manual``), never
    started again in the working hours it was idle in.
    ``running_since``: when earlier runs first observed each ordered resource running
    (the start order's wait counts from there; ``order.py``)."""
    if now.tzinfo is None:
        raise ValueError("plan needs a zone-aware instant")
    idle_off = idle_off or {}
    decisions = [
        _decide(
            resource,
            now,
            _for_kind(last_run, resource.kind),
            catalog,
            policy,
            wake,
            retry,
            idle_off.get(resource.key),
        )
        for resource in resources
    ]
    rules = order.Rules(policy.tag_key, policy.order_key, policy.order_wait_key, policy.order_wait)
    decisions = order.sequence(decisions, now, running_since or {}, rules)
    return _limit_stops(decisions, policy)


def _for_kind(last_run: datetime | Mapping[str, datetime] | None, kind: str) -> datetime | None:
    if last_run is None or isinstance(last_run, datetime):
        return last_run
    return last_run.get(kind)


def _decide(
    resource: Resource,
    now: datetime,
    last_run: datetime | None,
    catalog: schedules.Catalog,
    policy: Policy,
    wake: frozenset[str],
    retry: frozenset[str],
    idle_since: datetime | None = None,
) -> Decision:
    refusal = _refusal(resource, policy)
    if refusal:
        return Decision(resource, Action.SKIP, refusal)
    woken = resource.id in wake or resource.name in wake
    if woken and resource.state is resource.off_state:
        return Decision(
            resource, _on_action(resource), "woken by request (offhours wake)", trigger="manual"
        )
    intent = _intent(resource, now, last_run, catalog, policy)
    if isinstance(intent, Decision):
        return intent
    price_problem = _price_problem(resource)
    if price_problem:
        return _problem(resource, price_problem)
    if intent.state is schedules.State.STOPPED:
        decision = _stop_side(resource, now, intent, policy, resource.key in retry)
    else:
        held = _held_idle(resource, intent, idle_since)
        decision = held or _start_side(resource, last_run, intent, resource.key in retry)
    if intent.trigger == Decision.trigger:
        return decision
    return replace(decision, trigger=intent.trigger)


def _held_idle(resource: Resource, intent: Intent, idle_since: datetime | None) -> Decision | None:
    """An idle stop inside working hours holds until the schedule next turns on
    (``idle-restart=next-on``, the default), or until a person asks (``manual``); an
    override (or snooze) that wants the resource running wins, and so does a wake."""
    if idle_since is None or intent.enforce_start:
        return None
    stopped = f"{intent.reason}; stopped as idle at {idle_since:%a %H:%M} UTC"
    if _restart(resource) is Restart.MANUAL:
        reason = f"{stopped}: {RESTART_TAG}=manual, off until offhours wake or a snooze link"
        return Decision(resource, Action.SKIP, reason, intent.schedule)
    if intent.since is not None and idle_since <= intent.since:
        return None
    reason = (
        f"{stopped}: started again at the schedule's next on-transition, by offhours wake "
        "or a snooze link"
    )
    return Decision(resource, Action.SKIP, reason, intent.schedule)


def _restart(resource: Resource) -> Restart:
    """A bad value was already reported by discovery (``providers/idle_check.py``); here
    it falls back to the default, which never keeps a box off in its working hours."""
    try:
        return parse_restart(resource.tags)
    except ValueError:
        return Restart.NEXT_ON


def _refusal(resource: Resource, policy: Policy) -> str:
    if resource.unmanaged_reason:
        return resource.unmanaged_reason
    protected = protection(resource, policy)
    if protected:
        return protected
    if resource.state is ResourceState.TRANSITIONAL:
        return "in a transitional state: the next run decides"
    return ""


def protection(resource: Resource, policy: Policy) -> str:
    """Why the resource's tags, or its scope's, protect it ("protected: environment=prod"),
    or "". A protected scope protects everything inside, whatever the resource's own tag."""
    scope = resource.scope
    own = policy.protected.match(resource.tags)
    if own and not (scope and own[0] in scope.inherited):
        return f"protected: {own[0]}={own[1]}"
    found = policy.protected.match(scope.tags) if scope else None
    return f"protected: {found[0]}={found[1]} (on {scope.label})" if scope and found else ""


def _intent(
    resource: Resource,
    now: datetime,
    last_run: datetime | None,
    catalog: schedules.Catalog,
    policy: Policy,
) -> Intent | Decision:
    notes: list[str] = []
    override_value = resource.tags.get(policy.override_key)
    if override_value is not None:
        try:
            override = schedules.parse_override(override_value)
        except schedules.ScheduleError as err:
            return _problem(resource, f"bad {policy.override_key} tag {override_value!r}: {err}")
        if override.mode == "opt-out":
            return Decision(
                resource, Action.SKIP, f"opted out ({policy.override_key}={override_value})"
            )
        if schedules.override_active(override, now):
            wanted = schedules.State(override.mode)
            until = override.until.isoformat() if override.until else "further notice"
            return Intent(wanted, f"override: {override.mode} until {until}", "", None, True)
        notes.append(f"override {override_value!r} expired, ignored")
    intent = _schedule_intent(resource, now, last_run, catalog, policy)
    source = schedule_source(resource.scope, policy.tag_key)
    if isinstance(intent, Decision):
        return replace(intent, reason=f"{intent.reason} ({source})") if source else intent
    if source:
        notes.append(source)
    if not notes:
        return intent
    return replace(intent, reason=f"{intent.reason} ({'; '.join(notes)})")


def _schedule_intent(
    resource: Resource,
    now: datetime,
    last_run: datetime | None,
    catalog: schedules.Catalog,
    policy: Policy,
) -> Intent | Decision:
    spec = resource.tags.get(policy.tag_key)
    hibernate_tag = resource.tags.get(policy.hibernate_tag_key, "").lower() in ("true", "yes", "1")
    if spec is None:
        if resource.idle:
            return _idle_intent(resource, policy, "")
        note = f"; {resource.idle_note}" if resource.idle_note else ""
        return Decision(resource, Action.SKIP, f"no {policy.tag_key} tag{note}")
    schedule = _resolve(resource, spec, catalog, policy)
    if isinstance(schedule, Decision):
        return schedule
    if schedule.sides is not schedules.Sides.BOTH:
        intent = _one_sided_intent(resource, now, schedule, spec, policy, hibernate_tag)
        left = _left_running(resource, now, last_run, intent)
        return left or intent
    return _two_sided_intent(resource, now, schedule, spec, policy, hibernate_tag)


def _two_sided_intent(
    resource: Resource,
    now: datetime,
    schedule: schedules.Schedule,
    spec: str,
    policy: Policy,
    hibernate_tag: bool,
) -> Intent | Decision:
    state = schedules.desired_state(schedule, now)
    since = _last_change(schedule, now)
    label = schedule.name or spec
    hibernate = schedule.hibernate or hibernate_tag
    if state is schedules.State.STOPPED:
        window = _maintained(resource, schedule, label, since, now, policy)
        if window is not None:
            return replace(window, hibernate=hibernate) if isinstance(window, Intent) else window
        word = "off"
    elif resource.idle:
        return _idle_intent(resource, policy, label)
    else:
        word = "on"
    when = f" since {_format_local(since, schedule.timezone)}" if since else " all week"
    return Intent(state, f"{label}: {word}{when}", label, since, hibernate=hibernate)


def _maintained(
    resource: Resource,
    schedule: schedules.Schedule,
    label: str,
    off_since: datetime | None,
    now: datetime,
    policy: Policy,
) -> Intent | Decision | None:
    """A maintenance window's intent for a resource its schedule keeps off, if any."""
    try:
        windows = maintenance.windows_for(resource, schedule, policy.maintenance_key)
        if not windows:
            return None
        found = maintenance.effect(
            windows, off_since, now, policy.maintenance_lead, schedule.timezone
        )
    except schedules.ScheduleError as err:
        value = resource.tags.get(policy.maintenance_key, "")
        return _problem(resource, f"bad {policy.maintenance_key} {value!r}: {err}")
    if found is None:
        return None
    reason = f"{label}: off, {found.reason}"
    return Intent(found.state, reason, label, found.since, trigger=maintenance.TRIGGER)


def _stop_side(
    resource: Resource, now: datetime, intent: Intent, policy: Policy, held_off: bool
) -> Decision:
    if resource.state is not ResourceState.RUNNING:
        # Off without offhours having stopped it: someone else did, and nothing is booked.
        note = "" if held_off else " (not stopped by offhours: no savings booked)"
        return Decision(
            resource, Action.SKIP, f"{intent.reason}; already off{note}", intent.schedule
        )
    started = resource.started_at
    # A start time after "now" is clock skew (or a simulated clock), not a manual start.
    manual_start = (
        started is not None and started <= now and (intent.since is None or started > intent.since)
    )
    if not intent.enforce_start and manual_start and started and now - started < policy.grace:
        until = started + policy.grace
        return Decision(
            resource,
            Action.SKIP,
            f"{intent.reason}; started by hand at {started:%a %H:%M} UTC, "
            f"grace period until {until:%H:%M} UTC",
            intent.schedule,
        )
    return Decision(
        resource,
        _off_action(resource),
        intent.reason,
        intent.schedule,
        intent.hibernate,
        trigger=intent.trigger,
    )


def _left_running(
    resource: Resource, now: datetime, last_run: datetime | None, intent: Intent | Decision
) -> Decision | None:
    """A one-sided stop never fights a person: a box started by hand after the stop runs
    until the next stop. Where the cloud does not say when a resource started, a run
    after the stop instant already made this stop, so what runs now was started since."""
    if (
        isinstance(intent, Decision)
        or intent.state is not schedules.State.STOPPED
        or not intent.leave_until
        or resource.state is not ResourceState.RUNNING
    ):
        return None
    started, since = resource.started_at, intent.since
    # As on the stop side, a start time after "now" is clock skew, not a manual start.
    if started is not None and since is not None and since < started <= now:
        reason = (
            f"{intent.reason}; started by hand at {started:%a %H:%M} UTC after the stop: "
            f"left running {intent.leave_until}"
        )
        return Decision(resource, Action.SKIP, reason, intent.schedule)
    if started is None and last_run is not None and since is not None and last_run >= since:
        reason = (
            f"{intent.reason}; this stop was made by the run at {last_run:%a %H:%M} UTC, "
            f"so it was started since: left running {intent.leave_until}"
        )
        return Decision(resource, Action.SKIP, reason, intent.schedule)
    return None


def _resolve(
    resource: Resource, spec: str, catalog: schedules.Catalog, policy: Policy
) -> schedules.Schedule | Decision:
    try:
        schedule = catalog.resolve(spec)
    except schedules.ScheduleError as err:
        return _problem(resource, f"bad {policy.tag_key} tag {spec!r}: {err}")
    if schedule.opt_out:
        return Decision(resource, Action.SKIP, f"opted out ({policy.tag_key}={spec})")
    return schedule


def _one_sided_intent(
    resource: Resource,
    now: datetime,
    schedule: schedules.Schedule,
    spec: str,
    policy: Policy,
    hibernate_tag: bool,
) -> Intent | Decision:
    label = schedule.name or spec
    side = "stop" if schedule.sides is schedules.Sides.STOP_ONLY else "start"
    nxt = schedules.next_transition(schedule, now)
    upcoming = f"the next {side}, {_format_local(nxt[0], schedule.timezone)}" if nxt else "ever"
    if resource.idle:
        return _idle_intent(resource, policy, label)
    switch = schedules.switch_at(schedule, now)
    if switch is None:
        reason = f"{label}: {schedule.sides.value}, nothing to do until {upcoming}"
        return Decision(resource, Action.SKIP, reason, label)
    until = _format_local(switch.until, schedule.timezone)
    reason = (
        f"{label}: {schedule.sides.value}, {side} at "
        f"{_format_local(switch.at, schedule.timezone)} (caught up until {until})"
    )
    return Intent(
        switch.state,
        reason,
        label,
        switch.at,
        hibernate=schedule.hibernate or hibernate_tag,
        leave_until=f"until {upcoming}",
    )


def _start_side(
    resource: Resource, last_run: datetime | None, intent: Intent, retry: bool
) -> Decision:
    if resource.state is ResourceState.RUNNING:
        note = f"; {resource.idle_note}" if resource.idle_note else ""
        reason = f"{intent.reason}; already running{note}"
        return Decision(resource, Action.SKIP, reason, intent.schedule)
    turned_on = intent.since is not None and last_run is not None and intent.since > last_run
    if intent.enforce_start or turned_on:
        return Decision(resource, _on_action(resource), intent.reason, intent.schedule)
    if retry:
        reason = f"{intent.reason}; offhours keeps it off: retrying the start"
        return Decision(resource, _on_action(resource), reason, intent.schedule)
    if intent.leave_until:
        reason = (
            f"{intent.reason}; left off: a start-only schedule starts a resource once per "
            f"start, and someone stopped this one since (or offhours was not yet running); "
            f"left off {intent.leave_until}"
        )
        return Decision(resource, Action.SKIP, reason, intent.schedule)
    return Decision(
        resource,
        Action.SKIP,
        f"{intent.reason}; left off: the schedule starts resources only when it turns on, "
        "and someone stopped this one since",
        intent.schedule,
    )


def _limit_stops(decisions: list[Decision], policy: Policy) -> list[Decision]:
    stops = [d for d in decisions if d.action in OFF_ACTIONS]
    managed = [d for d in decisions if not d.resource.unmanaged_reason]
    if policy.force or not stops or len(stops) <= policy.max_stop_share * len(managed):
        return decisions
    share = len(stops) / len(managed)
    why = (
        f"refused: this run would stop {len(stops)} of {len(managed)} resources ({share:.0%}), "
        f"over the limit of {policy.max_stop_share:.0%}; rerun with --force if intended"
    )
    return [
        replace(d, action=Action.SKIP, reason=f"{d.reason}; {why}")
        if d.action in OFF_ACTIONS
        else d
        for d in decisions
    ]


def _price_problem(resource: Resource) -> str:
    value = resource.tags.get(PRICE_TAG)
    if value is None:
        return ""
    try:
        parse_hourly(value)
    except PriceTagError as err:
        return f"bad {PRICE_TAG} tag: {err}"
    return ""


def _problem(resource: Resource, reason: str) -> Decision:
    return Decision(resource, Action.SKIP, reason, problem=True)


def _off_action(resource: Resource) -> Action:
    return Action.SCALE_DOWN if resource.off_state is ResourceState.SCALED_DOWN else Action.STOP


def _on_action(resource: Resource) -> Action:
    return Action.SCALE_UP if resource.off_state is ResourceState.SCALED_DOWN else Action.START


def _idle_intent(resource: Resource, policy: Policy, label: str) -> Intent:
    return Intent(
        schedules.State.STOPPED, _idle_reason(resource, policy), label, None, trigger="idle"
    )


def _idle_reason(resource: Resource, policy: Policy) -> str:
    if resource.idle_note:
        return resource.idle_note
    window = resource.tags.get(policy.idle_tag_key, "")
    return f"idle: no traffic in the last {window}" if window else "idle"


def _last_change(schedule: schedules.Schedule, now: datetime) -> datetime | None:
    changes = schedules.transitions(schedule, now - _LOOKBACK, now)
    return changes[-1][0] if changes else None


def _format_local(at: datetime, zone: str) -> str:
    from zoneinfo import ZoneInfo

    return f"{at.astimezone(ZoneInfo(zone)):%a %H:%M} {zone}"
