"""Still-off checkpoints: the savings of an open off-period, up to the run that saw it.

An off-period is booked once, when its resource comes back. Until then the ledger says
what each run observed: a ``still-off`` row (outcome ``open``) whose charge period runs
from the period's start to the instant this run saw the resource still off. Every row
about one period carries its ``x_PeriodId``; readers (``ledger/summary.py``, the SQL of
``ledger/sql.py``) keep the one with the latest ``ChargePeriodEnd``, so a checkpoint is
superseded by the next one and by the booking, and nothing accrues past an observation.

A quiet run writes no ledger object, and a PUT per target per run would cost real money
(852 targets x 96 runs a day); so a target's checkpoints are written at most once per
``every`` (hourly by default): what the ledger claims lags what runs saw by at most that.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from ledger.record import OPEN_OUTCOME, STILL_OFF_ACTION, Row, iso
from ledger.run_state import OffPeriod, TargetState
from providers import bill_ids
from providers.base import Resource

CHECKPOINT_EVERY = timedelta(hours=1)


def due(state: TargetState, at: datetime, every: timedelta) -> bool:
    """Open periods to checkpoint, and none written in the last ``every``."""
    if not state.off:
        return False
    last = state.checkpoint_at
    return last is None or at - last >= every


def still_off_rows(
    resources: Iterable[Resource],
    state: TargetState,
    at: datetime,
    run_id: str,
    every: timedelta = CHECKPOINT_EVERY,
) -> list[dict[str, Any]]:
    """One row per open period whose resource this run saw off (when due); marks the
    state checkpointed. Safe to apply again to a state it has changed (not due then)."""
    if not due(state, at, every):
        return []
    seen = {r.key: r for r in resources}
    rows = []
    for key, period in sorted(state.off.items()):
        resource = seen.get(key)
        # Only what was observed: a resource not found, or found running or changing,
        # is decided by the run that sees it settle.
        if resource is None or resource.state is not resource.off_state or at <= period.since:
            continue
        rows.append(_row(resource, period, at, run_id).to_dict())
    state.checkpoint_at = at
    return rows


def _row(resource: Resource, period: OffPeriod, at: datetime, run_id: str) -> Row:
    bill = bill_ids.of_resource(resource)
    return Row(
        run_id=run_id,
        recorded_at=at,
        provider=resource.provider,
        account=resource.account,
        region=resource.region,
        kind=resource.kind,
        resource_id=resource.id,
        resource_name=resource.name,
        size=resource.size,
        service=resource.service,
        tags=dict(resource.tags),
        action=STILL_OFF_ACTION,
        outcome=OPEN_OUTCOME,
        reason=f"still off since {iso(period.since)}: savings so far, until it comes back",
        schedule=period.schedule,
        period_start=period.since,
        period_end=at,
        hourly_price=period.hourly_price,
        currency=period.currency,
        price_source=period.price_source,
        off_period=True,
        trigger=period.trigger,
        bill_id=bill.resource_id,
        resource_type=bill.resource_type,
    )
