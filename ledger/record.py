"""One ledger row: a FOCUS-aligned record of an action offhours took, or tried to take.

Column names follow the FinOps FOCUS specification where one fits; ours start with
``x_``. Every column is documented in ``docs/ledger.md``. Rows are plain dicts on disk
(newline-delimited JSON) so any query engine can read them; this module is the only
place that builds them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# The one text form of an instant in stored objects lives with the store interface, the
# one module of ``providers`` the ledger may import; the ledger's readers take it from here.
from providers.store import iso, parse_iso  # noqa: F401

SCHEMA_VERSION = "v1"
PRICING_UNIT = "Hours"
# A resource kept running past its stop by request: a cost, never a saving.
SNOOZE_ACTION = "snooze"
# A run saw a resource still off: the period so far, superseded by its booking.
STILL_OFF_ACTION = "still-off"
OPEN_OUTCOME = "open"
# The x_Action values that turn a resource off and back on (``providers.base.OFF_ACTIONS``:
# ``ledger/`` reads rows, not the providers' types).
OFF_ACTIONS = ("stop", "scale-down")
ON_ACTIONS = ("start", "scale-up")


def avoided_hours(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds() / 3600.0)


def period_id(provider: str, account: str, kind: str, resource_id: str, since: datetime) -> str:
    """The stable id of one off-period: the same on its stop, every still-off checkpoint
    and its booking, so SQL keeps one row per period (the latest ``ChargePeriodEnd``)."""
    text = f"{provider}/{account}/{kind}/{resource_id}@{iso(since)}"
    return hashlib.sha256(text.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Row:
    """What the job knows about one action; ``to_dict`` lays it out as a ledger row."""

    run_id: str
    recorded_at: datetime
    provider: str
    account: str
    region: str
    kind: str
    resource_id: str
    resource_name: str
    size: str
    service: str
    tags: Mapping[str, str]
    action: str
    outcome: str
    reason: str
    schedule: str = ""
    period_start: datetime | None = None
    period_end: datetime | None = None
    hourly_price: float | None = None
    currency: str = "USD"
    price_source: str = ""
    error: str = ""
    detail: str = ""
    # How the cloud's bill names the resource, and the FOCUS display name of its kind,
    # given by the caller (``ledger/`` knows no cloud); empty: the API id and the kind.
    bill_id: str = ""
    resource_type: str = ""
    # Rows about an off-period (its stop, checkpoints, booking) carry its id.
    off_period: bool = False
    # What asked for the action: ``schedule``, ``idle``, ``maintenance`` or ``manual``.
    trigger: str = "schedule"

    @property
    def hours(self) -> float:
        if self.period_start is None or self.period_end is None:
            return 0.0
        return avoided_hours(self.period_start, self.period_end)

    @property
    def savings(self) -> float | None:
        if self.hourly_price is None:
            return None
        return round(self.hours * self.hourly_price, 6)

    @property
    def kept_running(self) -> bool:
        """A snooze: its hours ran at the owner's request, a cost and never a saving."""
        return self.action == SNOOZE_ACTION

    def to_dict(self) -> dict[str, Any]:
        start = self.period_start or self.recorded_at
        end = self.period_end or start
        hours, savings = round(self.hours, 6), self.savings
        kept_hours, kept_cost = 0.0, 0.0 if savings is not None else None
        if self.kept_running:
            kept_hours, kept_cost = hours, savings
            hours, savings = 0.0, 0.0 if savings is not None else None
        pid = (
            period_id(self.provider, self.account, self.kind, self.resource_id, start)
            if self.off_period
            else ""
        )
        return {
            "ChargePeriodStart": iso(start),
            "ChargePeriodEnd": iso(end),
            "ProviderName": self.provider,
            "SubAccountId": self.account,
            "RegionId": self.region,
            "ResourceId": self.bill_id or self.resource_id,
            "ResourceName": self.resource_name,
            "ResourceType": self.resource_type or self.kind,
            "ServiceName": self.service,
            "ListUnitPrice": self.hourly_price,
            "PricingUnit": PRICING_UNIT,
            "BillingCurrency": self.currency,
            "Tags": dict(self.tags),
            "x_SchemaVersion": SCHEMA_VERSION,
            "x_RunId": self.run_id,
            "x_RecordedAt": iso(self.recorded_at),
            "x_Action": self.action,
            "x_Outcome": self.outcome,
            "x_Reason": self.reason,
            "x_Schedule": self.schedule,
            "x_ResourceSize": self.size,
            "x_AvoidedHours": hours,
            "x_EstimatedSavings": savings,
            "x_KeptRunningHours": kept_hours,
            "x_KeptRunningCost": kept_cost,
            "x_PeriodId": pid,
            "x_PriceSource": self.price_source or ("unknown" if self.hourly_price is None else ""),
            "x_Error": self.error,
            "x_Detail": self.detail,
            "x_Kind": self.kind,
            "x_ApiResourceId": self.resource_id,
            "x_Trigger": self.trigger,
        }


def record_identity(record: Mapping[str, Any]) -> tuple[str, str, str]:
    """Rows with the same identity in one run object describe the same event."""
    return (str(record["ResourceId"]), str(record["ResourceType"]), str(record["x_Action"]))
