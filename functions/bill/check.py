"""``bill check``: each ledger claim of a window against the cloud's own bill.

Per resource, with the bill loaded as the table ``bill`` (``source.py``):

* ``claimed``: the ledger's savings in the window (``claims.py``).
* ``billed_while_off``: what the bill charged for **compute** in hours the ledger says the
  resource was off: usage rows priced by the hour whose charge period lies wholly inside
  an off-period (an hour the resource ran part of, at a stop or a start, is expected to
  bill). Disks, snapshots, addresses and transfer (not hourly compute) are totalled apart
  in ``other_while_off``: they bill while a VM is off, and offhours never claimed them.
* ``net_savings``: the off hours at the resource's own effective cost per on-hour in the
  bill (so a Savings Plan, reservation or committed-use discount counts), less what was
  billed while off; at the ledger's list price when the bill shows no on-hour.
* ``status``: ``not-in-bill`` (the bill has no line for the id), ``billed-while-off``,
  ``covered-by-commitment`` (effective cost per hour under ``COMMITMENT_SHARE`` of list),
  or ``confirmed``.

``totals.confirmed`` adds ``min(claimed, net_savings)`` of every resource the bill has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from functions.bill.claims import Claim
from functions.bill.source import query

if TYPE_CHECKING:
    import duckdb

# Effective cost per hour under this share of list: a commitment discount pays for it.
COMMITMENT_SHARE = 0.8
# Less than a cent billed while off is rounding, not a charge.
BILLED_EPSILON = 0.01

COMPUTE = """(lower(coalesce(b.charge_category, 'usage')) = 'usage'
  AND (b.unit LIKE '%hour%' OR b.unit LIKE 'hr%' OR b.pricing_unit LIKE '%hour%'
       OR b.pricing_unit LIKE 'hr%')
  AND coalesce(b.category, '') NOT IN ('Storage', 'Networking'))"""


@dataclass
class Checked:
    resource_id: str
    provider: str
    name: str
    kind: str
    claimed: float = 0.0
    off_hours: float = 0.0
    list_price: float | None = None
    in_bill: bool = False
    billed_while_off: float = 0.0
    other_while_off: float = 0.0
    on_hours: float = 0.0
    on_cost: float = 0.0
    on_list: float = 0.0
    net_savings: float = 0.0
    status: str = "not-in-bill"

    def to_json(self) -> dict[str, Any]:
        return {
            "resource_id": self.resource_id,
            "provider": self.provider,
            "claimed": round(self.claimed, 4),
            "billed_while_off": round(self.billed_while_off, 4),
            "net_savings": round(self.net_savings, 4),
            "status": self.status,
        }


@dataclass
class BillCheck:
    start: datetime
    end: datetime
    bill_start: datetime | None
    bill_end: datetime | None
    provisional: bool
    resources: list[Checked] = field(default_factory=list)

    @property
    def covered(self) -> bool:
        return (
            self.bill_start is not None
            and self.bill_end is not None
            and self.bill_start <= self.start
            and self.bill_end >= self.end
        )

    def totals(self) -> dict[str, float]:
        found = [r for r in self.resources if r.in_bill]
        return {
            "claimed": round(sum(r.claimed for r in self.resources), 4),
            "confirmed": round(sum(min(r.claimed, r.net_savings) for r in found), 4),
            "net_savings": round(sum(r.net_savings for r in self.resources), 4),
            "billed_while_off": round(sum(r.billed_while_off for r in self.resources), 4),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "window": {
                "start": _iso(self.start),
                "end": _iso(self.end),
                "bill_start": _iso(self.bill_start),
                "bill_end": _iso(self.bill_end),
                "covered": self.covered,
                "provisional": self.provisional,
            },
            "resources": [r.to_json() for r in self.resources],
            "totals": self.totals(),
        }


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check(
    con: duckdb.DuckDBPyConnection, found: list[Claim], start: datetime, end: datetime
) -> BillCheck:
    """Every claimed resource of the window against the bill in ``con``."""
    by_id: dict[tuple[str, str], Checked] = {}
    for claim in found:
        key = (claim.provider, claim.resource_id.lower())
        item = by_id.setdefault(
            key, Checked(claim.resource_id, claim.provider, claim.name, claim.kind)
        )
        item.claimed += claim.claimed
        item.off_hours += claim.hours
        item.list_price = claim.hourly_price if claim.hourly_price else item.list_price
    _load_claims(con, found)
    for provider, rid, in_bill, off, other, hours, cost, listed in query(con, _PER_RESOURCE):
        item = by_id[(provider, rid)]
        item.in_bill = bool(in_bill)
        item.billed_while_off, item.other_while_off = float(off or 0), float(other or 0)
        item.on_hours, item.on_cost, item.on_list = (
            float(hours or 0),
            float(cost or 0),
            float(listed or 0),
        )
    for item in by_id.values():
        _judge(item)
    ordered = sorted(by_id.values(), key=lambda r: (-r.claimed, r.provider, r.resource_id))
    span = query(con, _SPAN)[0]
    return BillCheck(
        start=start,
        end=end,
        bill_start=_at(span[0]),
        bill_end=_at(span[1]),
        provisional=bool(span[2]),
        resources=ordered,
    )


def _judge(item: Checked) -> None:
    if not item.in_bill:
        item.status, item.net_savings = "not-in-bill", 0.0
        return
    rate = item.on_cost / item.on_hours if item.on_hours > 0 else (item.list_price or 0.0)
    listed = item.on_list / item.on_hours if item.on_hours > 0 and item.on_list > 0 else None
    listed = listed or item.list_price
    item.net_savings = max(0.0, item.off_hours * rate - item.billed_while_off)
    if item.billed_while_off >= BILLED_EPSILON:
        item.status = "billed-while-off"
    elif item.on_hours > 0 and listed and rate < COMMITMENT_SHARE * listed:
        item.status = "covered-by-commitment"
    else:
        item.status = "confirmed"


def _at(epoch: Any) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(float(epoch), UTC)


def _load_claims(con: duckdb.DuckDBPyConnection, found: list[Claim]) -> None:
    query(
        con,
        "CREATE OR REPLACE TEMP TABLE claims "
        "(provider VARCHAR, rid VARCHAR, start_s DOUBLE, end_s DOUBLE)",
    )
    if found:
        con.executemany(
            "INSERT INTO claims VALUES (?, ?, ?, ?)",
            [(c.provider, c.resource_id.lower(), c.start, c.end) for c in found],
        )


# Per claimed resource: in the bill at all; compute and other cost in off hours; compute
# hours, effective and list cost outside them.
_PER_RESOURCE = f"""
WITH ids AS (SELECT DISTINCT provider, rid FROM claims),
rows AS (
  SELECT b.*, {COMPUTE} AS compute,
    EXISTS (SELECT 1 FROM claims c WHERE c.provider = b.provider AND c.rid = b.rid
            AND b.start_s >= c.start_s AND b.end_s <= c.end_s) AS off
  FROM bill b JOIN ids USING (provider, rid)
)
SELECT ids.provider, ids.rid, count(r.rid) > 0,
  sum(CASE WHEN r.off AND r.compute THEN r.effective END),
  sum(CASE WHEN r.off AND NOT r.compute THEN r.effective END),
  sum(CASE WHEN NOT r.off AND r.compute THEN
        CASE WHEN r.quantity > 0 AND (r.unit LIKE '%hour%' OR r.unit LIKE 'hr%')
             THEN r.quantity ELSE (r.end_s - r.start_s) / 3600.0 END END),
  sum(CASE WHEN NOT r.off AND r.compute THEN r.effective END),
  sum(CASE WHEN NOT r.off AND r.compute THEN r.list_cost END)
FROM ids LEFT JOIN rows r USING (provider, rid)
GROUP BY ids.provider, ids.rid
"""

# The bill's span (an export is refreshed as a whole: its last charge period is how far
# it goes), and whether it is still provisional: its billing period runs past its last
# charge, or rows are not yet on an invoice.
_SPAN = """
SELECT min(start_s), max(end_s),
  coalesce(max(billing_period_end_s) > max(end_s), false) OR coalesce(bool_or(NOT invoiced), false)
FROM bill
"""
