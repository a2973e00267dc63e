"""Savings per resource over a window, from the ledger alone (plus open off-periods).

Booked rows carry an off interval and the hourly price at stop time; an interval is
clipped to the window, so a report for one week counts only that week's hours. Resources
still off at the end of the window accrue up to it from the state objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from ledger.book import read_records
from ledger.record import avoided_hours, parse_iso
from ledger.run_state import TargetState
from ledger.store import ObjectStore


@dataclass
class ResourceSavings:
    provider: str
    account: str
    kind: str
    resource_id: str
    name: str = ""
    hourly_price: float | None = None
    currency: str = "USD"
    hours_off: float = 0.0
    saved: float = 0.0
    accrued_hours: float = 0.0
    problems: list[str] = field(default_factory=list)
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def price_known(self) -> bool:
        return self.hourly_price is not None


def _overlap(start: datetime, end: datetime, lo: datetime, hi: datetime) -> float:
    return avoided_hours(max(start, lo), min(end, hi))


def summarize(
    rows: Iterable[Mapping[str, Any]],
    open_periods: Iterable[tuple[str, Mapping[str, Any]]],
    start: datetime,
    end: datetime,
) -> list[ResourceSavings]:
    """``rows``: ledger rows; ``open_periods``: (resource key, off-period dict) pairs."""
    table: dict[tuple[str, str, str, str], ResourceSavings] = {}

    def entry(provider: str, account: str, kind: str, rid: str) -> ResourceSavings:
        key = (provider, account, kind, rid)
        if key not in table:
            table[key] = ResourceSavings(provider, account, kind, rid)
        return table[key]

    for row in rows:
        item = entry(
            row["ProviderName"], row["SubAccountId"], row["ResourceType"], row["ResourceId"]
        )
        item.name = row.get("ResourceName") or item.name
        item.tags = row.get("Tags") or item.tags
        if row.get("x_Action") == "skip":
            item.problems.append(row.get("x_Reason", ""))
            continue
        hours = _overlap(
            parse_iso(row["ChargePeriodStart"]), parse_iso(row["ChargePeriodEnd"]), start, end
        )
        if hours <= 0:
            continue
        _add(item, hours, row.get("ListUnitPrice"), row.get("BillingCurrency", "USD"))
    for key, period in open_periods:
        provider, account, _region, kind, rid = key.split("/", 4)
        item = entry(provider, account, kind, rid)
        hours = _overlap(parse_iso(period["since"]), end, start, end)
        if hours > 0:
            _add(item, hours, period.get("hourly_price"), period.get("currency", "USD"))
            item.accrued_hours += hours
    return sorted(table.values(), key=lambda s: (-s.saved, s.provider, s.name))


def _add(item: ResourceSavings, hours: float, price: float | None, currency: str) -> None:
    item.hours_off += hours
    if price is not None:
        item.hourly_price = price
        item.currency = currency
        item.saved += hours * price


def open_periods(store: ObjectStore) -> Iterator[tuple[str, dict[str, Any]]]:
    for key in store.list("state/v1/"):
        if key.endswith("/run-state.json"):
            data = store.get(key)
            if data:
                for resource_key, period in TargetState.from_json(data).off.items():
                    yield resource_key, period.to_dict()


def window_summary(store: ObjectStore, start: datetime, end: datetime) -> list[ResourceSavings]:
    # Rows are partitioned by the day they were recorded; an off-period booked next week
    # can still cover this window, so read a little past the end.
    since: date = (start - timedelta(days=1)).date()
    until: date = (end + timedelta(days=14)).date()
    return summarize(read_records(store, since, until), open_periods(store), start, end)
