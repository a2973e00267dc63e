"""From one target's results to ledger rows, keeping the off-periods in the state object.

Savings are booked exactly once, when a resource comes back on: the hours between the
stop offhours made and the start (ours, or one observed because someone started it by
hand, or because the resource disappeared), times the hourly price known at stop time.
What is still off is not booked here; reports accrue it up to "now" from the state.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ledger.book import run_id_for
from ledger.record import Row
from ledger.run_state import OffPeriod, TargetState
from providers.base import Action, Outcome, Resource, ResourceState, Result

_OFF = (Action.STOP, Action.SCALE_DOWN)
_ON = (Action.START, Action.SCALE_UP)


def rows_for_run(
    results: Iterable[Result],
    resources: Iterable[Resource],
    discovered_kinds: set[str],
    state: TargetState,
    now: datetime,
) -> list[dict[str, Any]]:
    """Ledger rows for one run of one target; updates ``state.off`` in place."""
    run_id = run_id_for(now)
    # First close what came back without us (or vanished): a resource found running and
    # stopped again in this same run must have its old off-period booked, not overwritten.
    rows = _observed_returns(resources, discovered_kinds, state, now, run_id)
    results = list(results)
    current = {r.resource.key: r.decision.reason for r in results if r.decision.problem}
    known, state.problems = state.problems, current
    for result in results:
        if (
            result.decision.problem
            and known.get(result.resource.key) == current[result.resource.key]
        ):
            continue  # already in the ledger; a problem is booked when it appears or changes
        row = _row_for_result(result, state, run_id)
        if row is not None:
            rows.append(row)
    return [row.to_dict() for row in rows]


def _row_for_result(result: Result, state: TargetState, run_id: str) -> Row | None:
    decision, resource = result.decision, result.resource
    action = decision.action
    if action is Action.SKIP and not decision.problem:
        return None
    base = _row(resource, run_id, result.at, action.value, result.outcome.value, decision.reason)
    extra: dict[str, Any] = {
        "schedule": decision.schedule,
        "error": result.error,
        "detail": result.detail,
    }
    if result.outcome is Outcome.DONE and action in _OFF:
        state.off[resource.key] = OffPeriod(
            since=result.at,
            hourly_price=resource.price.hourly if resource.price else None,
            currency=resource.price.currency if resource.price else "USD",
            price_source=resource.price.source if resource.price else "",
            schedule=decision.schedule,
            action=action.value,
        )
    elif result.outcome is Outcome.DONE and action in _ON:
        period = state.off.pop(resource.key, None)
        if period is None:
            extra["detail"] = _join(result.detail, "was not stopped by offhours: no savings booked")
        else:
            extra.update(_booking(period, result.at))
    return Row(**{**base, **extra})


def _observed_returns(
    resources: Iterable[Resource],
    discovered_kinds: set[str],
    state: TargetState,
    now: datetime,
    run_id: str,
) -> list[Row]:
    """Close off-periods of resources that came back without us (started by hand) or
    vanished (terminated, untagged), so savings never accrue for time they ran."""
    seen = {r.key: r for r in resources}
    rows: list[Row] = []
    for key in sorted(state.off):
        resource = seen.get(key)
        kind = key.split("/")[3]
        if resource is None and kind in discovered_kinds:
            period = state.off.pop(key)
            rows.append(_vanished_row(key, period, now, run_id))
        elif resource is not None and resource.state is ResourceState.RUNNING:
            period = state.off.pop(key)
            back = resource.started_at
            end = back if back is not None and period.since < back <= now else now
            base = _row(
                resource,
                run_id,
                now,
                "start",
                "observed",
                "came back outside offhours (started by hand or by another tool)",
            )
            rows.append(Row(**{**base, **_booking(period, end)}))
    return rows


def _vanished_row(key: str, period: OffPeriod, now: datetime, run_id: str) -> Row:
    provider, account, region, kind, resource_id = key.split("/", 4)
    return Row(
        run_id=run_id,
        recorded_at=now,
        provider=provider,
        account=account,
        region=region,
        kind=kind,
        resource_id=resource_id,
        resource_name=resource_id,
        size="",
        service="",
        tags={},
        action="start",
        outcome="observed",
        reason="no longer found (terminated or its schedule tag removed): off-period closed",
        **_booking(period, now),
    )


def _row(
    resource: Resource, run_id: str, at: datetime, action: str, outcome: str, reason: str
) -> dict[str, Any]:
    price = resource.price
    return {
        "run_id": run_id,
        "recorded_at": at,
        "provider": resource.provider,
        "account": resource.account,
        "region": resource.region,
        "kind": resource.kind,
        "resource_id": resource.id,
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


def _booking(period: OffPeriod, end: datetime) -> dict[str, Any]:
    return {
        "period_start": period.since,
        "period_end": end,
        "hourly_price": period.hourly_price,
        "currency": period.currency,
        "price_source": period.price_source,
        "schedule": period.schedule,
    }


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)
