"""From what one run observed and did on a target to ledger rows and state changes.

Bookings come from what was observed, never from what was asked for:

* an off-period opens at a stop the cloud confirmed (``done``), or at the instant of an
  intent or an accepted stop that a later discovery finds carried out;
* it closes at a confirmed start, at an observed return (someone started the resource,
  or it vanished), or at the instant of a start intent a later discovery finds carried
  out; the savings of the whole period are booked then, once.

Every function here changes the ``TargetState`` it is given and returns the rows to
write; the job applies them to a freshly read state on every compare-and-swap retry, so
each must be safe to apply again to a state it has already changed (it is: what was
resolved is no longer there to resolve). When the clock goes back, a period opens no
earlier than ``floor`` (the target's last run) and closes no earlier than it opened: no
booking ends before it starts, and none is stretched to a run's future instant.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from functions.jobs.maintenance import TRIGGER as MAINTENANCE_TRIGGER
from ledger.record import Row
from ledger.run_state import ActionIntent, OffPeriod, TargetState
from providers import bill_ids
from providers.base import OFF_ACTIONS as _OFF
from providers.base import Action, Outcome, Resource, ResourceState, Result

log = logging.getLogger("offhours.bookings")

_OFF_NAMES = tuple(a.value for a in _OFF)


def later(at: datetime, floor: datetime | None) -> datetime:
    """``at``, or ``floor`` when the clock went back behind it."""
    return at if floor is None or at >= floor else floor


def record_intents(
    state: TargetState,
    run_id: str,
    intents: Mapping[str, tuple[str, Resource, str]],
    now: datetime,
    floor: datetime | None = None,
    triggers: Mapping[str, str] | None = None,
) -> None:
    """Write-ahead: what this run is about to do (key -> (action, resource, schedule)).
    An off action's instant is where an adopted period opens: never before ``floor``.
    ``triggers``: key -> what asked for the action, where not the schedule."""
    for key, (action, resource, schedule) in intents.items():
        price = resource.price
        state.intents[key] = ActionIntent(
            run_id=run_id,
            action=action,
            at=later(now, floor) if action in _OFF_NAMES else now,
            hourly_price=price.hourly if price else None,
            currency=price.currency if price else "USD",
            price_source=price.source if price else "",
            schedule=schedule,
            trigger=(triggers or {}).get(key, "schedule"),
        )


def observe(
    resources: Iterable[Resource],
    discovered_kinds: set[str],
    state: TargetState,
    at: datetime,
    run_id: str,
    floor: datetime | None = None,
) -> list[dict[str, Any]]:
    """Before planning: resolve what earlier runs left unconfirmed (their intents), then
    close the off-periods of resources that came back without us or vanished."""
    seen = {r.key: r for r in resources}
    rows = _resolve_intents(seen, discovered_kinds, state, at, run_id, floor)
    rows += _observed_returns(seen, discovered_kinds, state, at, run_id, floor)
    return [row.to_dict() for row in rows]


def book_results(
    results: Iterable[Result], state: TargetState, floor: datetime | None, run_id: str
) -> list[dict[str, Any]]:
    """After acting: this run's results, each booked against this run's intent for it.
    A result whose intent is gone was resolved by another run (one that took over an
    expired lease): booking it again would count it twice."""
    results = list(results)
    current = {r.resource.key: r.decision.reason for r in results if r.decision.problem}
    known, state.problems = state.problems, current
    rows: list[Row] = []
    for result in results:
        key = result.resource.key
        if result.decision.problem:
            if known.get(key) != current[key]:
                rows.append(_result_row(result, later(result.at, floor), run_id))
            continue  # a problem is booked when it appears or changes
        if result.decision.action is Action.SKIP:
            continue
        intent = state.intents.get(key)
        if intent is None or intent.run_id != run_id:
            log.warning("not booking %s %s: resolved by another run", result.outcome, key)
            continue
        # A period opens no earlier than the last run (a replayed event cannot backdate a
        # stop) and closes where it was observed, never before it opened (``_booking``).
        at = later(result.at, floor) if result.decision.action in _OFF else result.at
        rows.append(_book_result(result, intent, state, at, run_id, floor))
    return [row.to_dict() for row in rows]


def _book_result(
    result: Result,
    intent: ActionIntent,
    state: TargetState,
    at: datetime,
    run_id: str,
    floor: datetime | None,
) -> Row:
    key, action = result.resource.key, result.decision.action
    row = _result_row(result, at, run_id)
    if result.outcome is Outcome.ACCEPTED:
        intent.accepted = True
        intent.at = at
        return row
    del state.intents[key]
    if result.outcome is not Outcome.DONE:
        return row
    if action in _OFF:
        state.off[key] = _period(intent, at)
        return replace(row, off_period=True)
    period = state.off.pop(key, None)
    if period is None:
        detail = _join(result.detail, "was not stopped by offhours: no savings booked")
        return replace(row, detail=detail)
    return replace(row, **_booking(period, at, floor, result.decision.trigger))


def _resolve_intents(
    seen: Mapping[str, Resource],
    discovered_kinds: set[str],
    state: TargetState,
    at: datetime,
    run_id: str,
    floor: datetime | None,
) -> list[Row]:
    rows: list[Row] = []
    for key, intent in sorted(state.intents.items()):
        if intent.run_id == run_id:
            continue
        resource = seen.get(key)
        if resource is None:
            if _kind(key) in discovered_kinds:
                del state.intents[key]  # vanished: its period is closed with the others
            continue
        if resource.state is ResourceState.TRANSITIONAL:
            continue  # decided once it settles
        del state.intents[key]
        row = _resolved(resource, intent, state, at, run_id, floor)
        if row is not None:
            rows.append(row)
    return rows


def _resolved(
    resource: Resource,
    intent: ActionIntent,
    state: TargetState,
    at: datetime,
    run_id: str,
    floor: datetime | None,
) -> Row | None:
    """One intent another run left, against what discovery now shows."""
    is_off = resource.state is resource.off_state
    how = (
        f"accepted by the cloud in run {intent.run_id}"
        if intent.accepted
        else f"run {intent.run_id} ended before recording its outcome"
    )
    wanted_off = intent.action in _OFF_NAMES
    if wanted_off == is_off:
        base = _row(resource, run_id, at, intent.action, "done", f"confirmed: {how}")
        if wanted_off:
            state.off.setdefault(resource.key, _period(intent))
            return Row(
                **base,
                schedule=intent.schedule,
                period_start=intent.at,
                off_period=True,
                trigger=intent.trigger,
            )
        period = state.off.pop(resource.key, None)
        if period is None:
            return Row(**base, schedule=intent.schedule, period_start=intent.at)
        return Row(**{**base, **_booking(period, intent.at, floor, intent.trigger)})
    if not intent.accepted:
        log.info("intent %s %s of run %s not carried out", intent.action, resource.key, how)
        return None
    reason = f"{intent.action} {how}, but the resource was found {resource.state.value}"
    return Row(**{**_row(resource, run_id, at, intent.action, "failed", reason), "error": reason})


def _observed_returns(
    seen: Mapping[str, Resource],
    discovered_kinds: set[str],
    state: TargetState,
    at: datetime,
    run_id: str,
    floor: datetime | None,
) -> list[Row]:
    """Close off-periods of resources that came back without us (started by hand) or
    vanished (terminated, untagged), so savings never accrue for time they ran."""
    rows: list[Row] = []
    for key in sorted(state.off):
        if key in state.intents:
            continue  # an unresolved action of ours decides this one
        resource = seen.get(key)
        if resource is None and _kind(key) in discovered_kinds:
            rows.append(_vanished_row(key, state.off.pop(key), at, run_id, floor))
        elif resource is not None and resource.state is ResourceState.RUNNING:
            period = state.off.pop(key)
            back = resource.started_at
            end = back if back is not None and period.since < back <= at else at
            base = _row(
                resource,
                run_id,
                at,
                "start",
                "observed",
                "came back outside offhours (started by hand or by another tool)",
            )
            rows.append(Row(**{**base, **_booking(period, end, floor)}))
    return rows


def _vanished_row(
    key: str, period: OffPeriod, at: datetime, run_id: str, floor: datetime | None
) -> Row:
    provider, account, region, kind, resource_id = key.split("/", 4)
    bill = bill_ids.of_key(key)
    return Row(
        run_id=run_id,
        recorded_at=at,
        provider=provider,
        account=account,
        region=region,
        kind=kind,
        resource_id=resource_id,
        bill_id=bill.resource_id,
        resource_type=bill.resource_type,
        resource_name=resource_id,
        size="",
        service="",
        tags={},
        action="start",
        outcome="observed",
        reason="no longer found (terminated or its schedule tag removed): off-period closed",
        **_booking(period, at, floor),
    )


def _result_row(result: Result, at: datetime, run_id: str) -> Row:
    decision = result.decision
    base = _row(
        result.resource, run_id, at, decision.action.value, result.outcome.value, decision.reason
    )
    return Row(
        **base,
        schedule=decision.schedule,
        error=result.error,
        detail=result.detail,
        trigger=decision.trigger,
    )


def _period(intent: ActionIntent, at: datetime | None = None) -> OffPeriod:
    """The off-period a stop opens. The stop after a maintenance window is the window's
    (its row says so), but the night it begins is the schedule's."""
    period = intent.period()
    trigger = "schedule" if period.trigger == MAINTENANCE_TRIGGER else period.trigger
    return replace(period, since=at or period.since, trigger=trigger)


def _row(
    resource: Resource, run_id: str, at: datetime, action: str, outcome: str, reason: str
) -> dict[str, Any]:
    price = resource.price
    bill = bill_ids.of_resource(resource)
    return {
        "run_id": run_id,
        "recorded_at": at,
        "provider": resource.provider,
        "account": resource.account,
        "region": resource.region,
        "kind": resource.kind,
        "resource_id": resource.id,
        "bill_id": bill.resource_id,
        "resource_type": bill.resource_type,
        "resource_name": resource.name,
        "size": resource.size,
        "service": resource.service,
        "tags": dict(resource.tags),
        "action": action,
        "outcome": outcome,
        "reason": reason,
        "hourly_price": price.hourly if price else None,
        "currency": price.currency if price else "USD",
        "price_source": price.source if price else "",
    }


def _booking(
    period: OffPeriod, end: datetime, floor: datetime | None = None, closed_by: str = ""
) -> dict[str, Any]:
    # A return stamped before the period even began comes from a clock that went back
    # behind it: the last run's instant is the best bound of when it really happened.
    # Otherwise the observed instant stands, even behind the last run: that one may be
    # the skewed clock, and a booking is never stretched to a future instant.
    if end < period.since:
        end = later(period.since, floor)
    return {
        "period_start": period.since,
        "period_end": end,
        "hourly_price": period.hourly_price,
        "currency": period.currency,
        "price_source": period.price_source,
        "schedule": period.schedule,
        "off_period": True,
        # The savings belong to what opened the period (idle savings sum apart), except
        # that a start for a maintenance window says so: the window is why it ended.
        "trigger": closed_by if closed_by == MAINTENANCE_TRIGGER else period.trigger,
    }


def _kind(key: str) -> str:
    return key.split("/")[3]


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)
