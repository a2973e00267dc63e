"""A FOCUS 1.2 cost export, hour by hour, of a fleet whose running hours the test knows.

Columns and values follow the FOCUS 1.2 specification (https://focus.finops.org/, column
definitions: ChargePeriodStart/End, BilledCost, EffectiveCost, ListCost, ConsumedQuantity,
ConsumedUnit, CommitmentDiscountId, ServiceCategory, …) and AWS Data Exports' FOCUS 1.0
table: EC2 usage rows carry the bare instance id, RDS the DB instance ARN
(https://docs.aws.amazon.com/cur/latest/userguide/table-dictionary-focus-1-0-aws.html).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

COLUMNS = (
    "BilledCost",
    "BillingAccountId",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargeCategory",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "CommitmentDiscountId",
    "ConsumedQuantity",
    "ConsumedUnit",
    "EffectiveCost",
    "ListCost",
    "ListUnitPrice",
    "PricingUnit",
    "ProviderName",
    "RegionId",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "SubAccountId",
    "Tags",
)


@dataclass
class Billed:
    """One resource's line items: ``running(hour_start) -> hours run in that hour``."""

    resource_id: str
    name: str
    price: float
    running: Callable[[datetime], float]
    service: str = "Amazon Elastic Compute Cloud"
    resource_type: str = "Virtual Machine"
    # Effective cost as a share of list (a Savings Plan: 0.4), with its commitment id.
    effective_share: float = 1.0
    commitment: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    unit: str = "Hours"
    category: str = ""


def _ts(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def rows(
    fleet: Iterable[Billed], start: datetime, hours: int, account: str, period_end: datetime
) -> list[dict[str, str]]:
    out = []
    for item in fleet:
        for h in range(hours):
            begin = start + timedelta(hours=h)
            used = item.running(begin)
            if used <= 0:
                continue
            listed = used * item.price
            out.append(
                {
                    "BilledCost": f"{0.0 if item.commitment else listed:.6f}",
                    "BillingAccountId": account,
                    "BillingCurrency": "USD",
                    "BillingPeriodStart": _ts(start.replace(day=1, hour=0)),
                    "BillingPeriodEnd": _ts(period_end),
                    "ChargeCategory": "Usage",
                    "ChargePeriodStart": _ts(begin),
                    "ChargePeriodEnd": _ts(begin + timedelta(hours=1)),
                    "CommitmentDiscountId": item.commitment or "NULL",
                    "ConsumedQuantity": f"{used:.6f}",
                    "ConsumedUnit": item.unit,
                    "EffectiveCost": f"{listed * item.effective_share:.6f}",
                    "ListCost": f"{listed:.6f}",
                    "ListUnitPrice": f"{item.price:.6f}",
                    "PricingUnit": item.unit,
                    "ProviderName": "AWS",
                    "RegionId": "eu-west-1",
                    "ResourceId": item.resource_id,
                    "ResourceName": item.name,
                    "ResourceType": item.resource_type,
                    "ServiceCategory": item.category
                    or ("Compute" if "Compute" in item.service else "Databases"),
                    "ServiceName": item.service,
                    "SubAccountId": account,
                    "Tags": json.dumps(item.tags),
                }
            )
    return out


def write_csv(path: Path, records: list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(records)
    return path
