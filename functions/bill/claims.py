"""What the ledger claims for a window, one off-period once.

A period can be written more than once: still-off checkpoint rows carry the period's
``x_PeriodId`` and are superseded by later ones and by the booking when the resource
returns; without ``x_PeriodId`` a period is its (``ResourceId``, ``ChargePeriodStart``).
Either way the booking wins, else the checkpoint with the latest ``ChargePeriodEnd``.
Snoozes are a cost, never a claim; failed, skipped and dry-run rows claim nothing. Rows
only: time still off claims up to the last checkpoint, as in the digest and ``ledger sql``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledger.record import SNOOZE_ACTION, STILL_OFF_ACTION, parse_iso

_NO_CLAIM = {"failed", "skipped", "dry-run", "accepted"}


@dataclass(frozen=True)
class Claim:
    """One off-period of one resource, clipped to the window (epoch seconds)."""

    provider: str
    resource_id: str
    kind: str
    name: str
    start: float
    end: float
    hourly_price: float | None

    @property
    def hours(self) -> float:
        return max(0.0, self.end - self.start) / 3600.0

    @property
    def claimed(self) -> float:
        return self.hours * (self.hourly_price or 0.0)


def period_key(row: Mapping[str, Any]) -> tuple[str, ...]:
    period = str(row.get("x_PeriodId") or "")
    if period:
        return ("period", period)
    return (str(row["ProviderName"]), str(row["ResourceId"]), str(row["ChargePeriodStart"]))


def rank(row: Mapping[str, Any]) -> tuple[bool, str]:
    """The booking closes its period and wins over every checkpoint (one from a run whose
    clock ran ahead may end later); then the latest checkpoint."""
    return (row["x_Action"] != STILL_OFF_ACTION, str(row["ChargePeriodEnd"]))


def claims(rows: Iterable[Mapping[str, Any]], start: datetime, end: datetime) -> list[Claim]:
    """The window's claims from ledger rows in the current layout."""
    latest: dict[tuple[str, ...], Mapping[str, Any]] = {}
    for row in rows:
        if row["x_Action"] in (SNOOZE_ACTION, "skip") or row["x_Outcome"] in _NO_CLAIM:
            continue
        if not row["x_AvoidedHours"]:
            continue
        key = period_key(row)
        kept = latest.get(key)
        if kept is None or rank(row) > rank(kept):
            latest[key] = row
    lo, hi = start.timestamp(), end.timestamp()
    found = []
    for row in latest.values():
        s = max(lo, parse_iso(row["ChargePeriodStart"]).timestamp())
        e = min(hi, parse_iso(row["ChargePeriodEnd"]).timestamp())
        if e > s:
            price = row["ListUnitPrice"]
            found.append(
                Claim(
                    provider=str(row["ProviderName"]),
                    resource_id=str(row["ResourceId"]),
                    kind=str(row["x_Kind"]),
                    name=str(row["ResourceName"] or row["ResourceId"]),
                    start=s,
                    end=e,
                    hourly_price=None if price is None else float(price),
                )
            )
    return sorted(found, key=lambda c: (c.provider, c.resource_id, c.start))
