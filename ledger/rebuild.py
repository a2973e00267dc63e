"""Rebuilding a target's off-periods from its ledger, when its state object is lost.

The ledger holds every stop offhours confirmed and every return it booked, so the
periods still open are the resources whose latest such row is a confirmed stop.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ledger.record import OFF_ACTIONS, ON_ACTIONS, parse_iso
from ledger.run_state import OffPeriod
from ledger.versions import upgraded

# Outcomes that say the resource really changed state.
_CONFIRMED = ("done", "observed")


def resource_key(row: Mapping[str, Any]) -> str:
    """The state's key for the resource a ledger row is about (a row in the current
    layout: offhours' kind and the API id, not the bill's names)."""
    return "/".join(
        (
            str(row["ProviderName"]),
            str(row["SubAccountId"]),
            str(row["RegionId"] or ""),
            str(row["x_Kind"]),
            str(row["x_ApiResourceId"]),
        )
    )


def open_periods(rows: Iterable[Mapping[str, Any]]) -> dict[str, OffPeriod]:
    """Off-periods that one target's ledger rows leave open."""
    latest: dict[str, tuple[str, str, Mapping[str, Any]]] = {}
    for row in upgraded(rows):
        if row["x_Outcome"] not in _CONFIRMED:
            continue
        action = row["x_Action"]
        if action not in OFF_ACTIONS + ON_ACTIONS:
            continue
        key = resource_key(row)
        # A stop's instant is its period start; a return's is where the booking ends.
        at = row["ChargePeriodStart"] if action in OFF_ACTIONS else row["ChargePeriodEnd"]
        order = (at, row["x_RecordedAt"])
        if key not in latest or order >= latest[key][:2]:
            latest[key] = (*order, row)
    return {
        key: OffPeriod(
            since=parse_iso(row["ChargePeriodStart"]),
            hourly_price=row["ListUnitPrice"],
            currency=row["BillingCurrency"] or "USD",
            price_source=row["x_PriceSource"] or "",
            schedule=row["x_Schedule"] or "",
            action=row["x_Action"],
        )
        for key, (_, _, row) in latest.items()
        if row["x_Action"] in OFF_ACTIONS
    }
