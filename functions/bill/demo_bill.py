"""A FOCUS 1.2 export of the demo's week, hour by hour, from what the sandbox clouds did.

In the sandbox the clouds do exactly what offhours asks, so the ledger (its bookings,
and the state objects' periods still open) is the fleet's true timeline: each resource
bills every hour it ran, at its list price. Three resources are then made to disagree the
way real bills do: the first (by id) keeps billing through its first off-period, as if its stop
had not taken; the second runs under a Savings Plan (effective cost 40 % of list); the
third is missing from the export. An Auto Scaling group and an ECS service bill as one
member carrying the group's tag, as real bills do; other groups (a managed instance
group, an AKS cluster) bill under the group's own id here, for simplicity.
``python -m functions.bill.demo_bill LEDGER OUT.csv [--week 2026-11-16]`` writes it;
``offhours bill check`` then judges the demo's claims.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from functions.bill.claims import period_key, rank
from ledger.book import read_records
from ledger.observed import target_states
from ledger.record import parse_iso
from ledger.versions import upgraded
from providers.bill_ids import member_tag, of_key
from providers.store import LocalStore

COLUMNS = [
    "ProviderName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceName",
    "ServiceCategory",
    "ChargeCategory",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ConsumedQuantity",
    "ConsumedUnit",
    "PricingUnit",
    "CommitmentDiscountId",
    "SubAccountId",
    "RegionId",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "Tags",
]
_FOCUS_PROVIDER = {"aws": "AWS", "azure": "Microsoft", "gcp": "Google Cloud"}
SAVINGS_PLAN_SHARE = 0.4

Period = tuple[float, float]


def timelines(
    store: LocalStore, start: datetime, end: datetime
) -> dict[tuple[str, str], dict[str, Any]]:
    """(provider, bill id) -> {"price", "name", "type", "account", "region", "off": periods}."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    # One row per off-period, as the readers count it (its booking, else its latest
    # checkpoint): the "leaky" resource below then really keeps billing a whole period.
    periods: dict[tuple[str, ...], dict[str, Any]] = {}
    since = (start - timedelta(days=8)).date()
    for row in upgraded(read_records(store, since, (end + timedelta(days=8)).date())):
        if row["ListUnitPrice"] is None:
            continue
        _item(found, row["ProviderName"], row["ResourceId"], row)
        if row["x_AvoidedHours"] and row["x_Action"] not in ("snooze", "skip"):
            period = period_key(row)
            if period not in periods or rank(row) > rank(periods[period]):
                periods[period] = row
    for row in sorted(periods.values(), key=lambda r: str(r["ChargePeriodStart"])):
        s, e = parse_iso(row["ChargePeriodStart"]), parse_iso(row["ChargePeriodEnd"])
        found[(row["ProviderName"], row["ResourceId"])]["off"].append(
            (s.timestamp(), e.timestamp())
        )
    for key, since in _still_off(store):
        bill = of_key(key)
        provider = key.split("/", 1)[0]
        if (provider, bill.resource_id) in found:
            found[(provider, bill.resource_id)]["off"].append((since.timestamp(), end.timestamp()))
    return found


def _still_off(store: LocalStore) -> Iterable[tuple[str, datetime]]:
    """Every off-period the state objects hold open, by resource key: in the sandbox the
    resource really is off until the week's end, whether or not a run looked again."""
    for _, state in target_states(store):
        for resource_key, period in state.off.items():
            yield resource_key, period.since


def _item(
    found: dict[tuple[str, str], dict[str, Any]], provider: str, rid: str, row: dict[str, Any]
) -> dict[str, Any]:
    return found.setdefault(
        (provider, rid),
        {
            "price": float(row["ListUnitPrice"]),
            "name": row["ResourceName"],
            "type": row["ResourceType"],
            "service": row["ServiceName"],
            "account": row["SubAccountId"],
            "region": row["RegionId"],
            "kind": row["x_Kind"],
            "off": [],
        },
    )


def _ran(off: Iterable[Period], begin: float) -> float:
    end = begin + 3600
    down = sum(max(0.0, min(end, e) - max(begin, s)) for s, e in off)
    return max(0.0, 1.0 - down / 3600.0)


def export_rows(
    found: dict[tuple[str, str], dict[str, Any]], start: datetime, end: datetime
) -> list[dict[str, str]]:
    keys = sorted(k for k, v in found.items() if v["off"])
    leaky, committed, missing = (keys + [("", "")] * 3)[:3]
    rows = []
    for key, item in sorted(found.items()):
        if key == missing:
            continue
        off = item["off"][1:] if key == leaky else item["off"]
        share = SAVINGS_PLAN_SHARE if key == committed else 1.0
        hour = start
        while hour < end:
            used = _ran(off, hour.timestamp())
            if used > 0:
                rows.append(_row(key, item, hour, used, share))
            hour += timedelta(hours=1)
    return rows


def _row(
    key: tuple[str, str], item: dict[str, Any], hour: datetime, used: float, share: float
) -> dict[str, str]:
    listed = used * item["price"]
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    rid, tags = key[1].lower() if key[0] == "azure" else key[1], "{}"
    group = member_tag(key[0], item["kind"], key[1])
    if group is not None:
        rid = "i-" + hashlib.sha256(key[1].encode()).hexdigest()[:17]
        tags = json.dumps({group[0]: group[1]})
    return {
        "ProviderName": _FOCUS_PROVIDER.get(key[0], key[0]),
        "ResourceId": rid,
        "ResourceName": item["name"],
        "ResourceType": item["type"],
        "ServiceName": item["service"],
        "ServiceCategory": "Compute",
        "ChargeCategory": "Usage",
        "ChargePeriodStart": hour.strftime(fmt),
        "ChargePeriodEnd": (hour + timedelta(hours=1)).strftime(fmt),
        "BilledCost": f"{0.0 if share < 1 else listed:.6f}",
        "EffectiveCost": f"{listed * share:.6f}",
        "ListCost": f"{listed:.6f}",
        "ConsumedQuantity": f"{used:.6f}",
        "ConsumedUnit": "Hours",
        "PricingUnit": "Hours",
        "CommitmentDiscountId": "demo-savings-plan" if share < 1 else "",
        "SubAccountId": item["account"],
        "RegionId": item["region"],
        "BillingCurrency": "USD",
        "BillingPeriodStart": hour.replace(day=1, hour=0).strftime(fmt),
        "BillingPeriodEnd": "2026-12-01T00:00:00Z",
        "Tags": tags,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("ledger")
    parser.add_argument("out", type=Path)
    parser.add_argument("--week", default="2026-11-16", help="the Monday (YYYY-MM-DD)")
    args = parser.parse_args()
    start = datetime.fromisoformat(args.week).replace(tzinfo=UTC)
    end = start + timedelta(days=7)
    rows = export_rows(timelines(LocalStore(args.ledger), start, end), start, end)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} rows -> {args.out}")


if __name__ == "__main__":
    main()
