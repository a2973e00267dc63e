"""``bill check``: each ledger claim of a window against the cloud's own bill.

Per resource, with the bill loaded as the table ``bill`` (``source.py``):

* ``claimed``: the ledger's savings in the window (``claims.py``).
* A group with no bill line of its own (an Auto Scaling group) is matched by its members'
  lines, which carry the group's tag (``providers.bill_ids.member_tag``); its on-hours are
  the hours any member billed, so its rate is the whole group's per hour.
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

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from functions.bill.claims import Claim
from functions.bill.source import query
from providers.bill_ids import member_tag

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
    group: bool = False
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
    by_key: dict[tuple[str, str], Checked] = {}
    keyed: list[tuple[Claim, str]] = []
    for claim in found:
        tag = member_tag(claim.provider, claim.kind, claim.resource_id)
        mkey = claim.resource_id.lower() if tag is None else tag_key(*tag)
        keyed.append((claim, mkey))
        item = by_key.setdefault(
            (claim.provider, mkey),
            Checked(claim.resource_id, claim.provider, claim.name, claim.kind, group=bool(tag)),
        )
        item.claimed += claim.claimed
        item.off_hours += claim.hours
        item.list_price = claim.hourly_price if claim.hourly_price else item.list_price
    _load_claims(con, keyed)
    for provider, mkey, in_bill, off, other, hours, slots, cost, listed in query(
        con, _PER_RESOURCE
    ):
        item = by_key[(provider, mkey)]
        item.in_bill = bool(in_bill)
        item.billed_while_off, item.other_while_off = float(off or 0), float(other or 0)
        item.on_hours = float((slots if item.group else hours) or 0)
        item.on_cost, item.on_list = float(cost or 0), float(listed or 0)
    for item in by_key.values():
        _judge(item)
    ordered = sorted(by_key.values(), key=lambda r: (-r.claimed, r.provider, r.resource_id))
    span = query(con, _SPAN)[0]
    return BillCheck(
        start=start,
        end=end,
        bill_start=_at(span[0]),
        bill_end=_at(span[1]),
        provisional=bool(span[2]),
        resources=ordered,
    )


def tag_key(key: str, value: str) -> str:
    """How a member's tag is matched: key without case or punctuation (``aws:autoscaling:
    groupName`` and ``aws_autoscaling_group_name`` alike), value without case."""
    return f"tag:{re.sub(r'[^a-z0-9]', '', key.lower())}={value.lower()}"


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


def _load_claims(con: duckdb.DuckDBPyConnection, keyed: list[tuple[Claim, str]]) -> None:
    """The claims, and the bill's lines keyed as the claims are: by id, and for groups by
    the member tag (only the tag keys some claim needs are unpacked)."""
    query(
        con,
        "CREATE OR REPLACE TEMP TABLE claims "
        "(provider VARCHAR, mkey VARCHAR, start_s DOUBLE, end_s DOUBLE)",
    )
    if keyed:
        con.executemany(
            "INSERT INTO claims VALUES (?, ?, ?, ?)",
            [(c.provider, mkey, c.start, c.end) for c, mkey in keyed],
        )
    tags = sorted({m.split("=", 1)[0][4:] for _, m in keyed if m.startswith("tag:")})
    # Tag keys are reduced to [a-z0-9] by ``tag_key``: safe as SQL literals (a view takes
    # no parameters).
    members = _MEMBERS.format(keys=", ".join(f"'{t}'" for t in tags)) if tags else ""
    query(con, f"CREATE OR REPLACE TEMP VIEW bill_keyed AS {_BY_ID} {members}")


_BY_ID = "SELECT b.*, b.rid AS mkey FROM bill b"
_MEMBERS = """
UNION ALL
SELECT b.*,
  'tag:' || regexp_replace(lower(t.e.key), '[^a-z0-9]', '', 'g') || '=' || lower(t.e.value)
FROM bill b, unnest(map_entries(json_transform(b.tags, '"MAP(VARCHAR, VARCHAR)"'))) AS t(e)
WHERE json_valid(b.tags)
  AND regexp_replace(lower(t.e.key), '[^a-z0-9]', '', 'g') IN ({keys})
"""


# Per claimed resource: in the bill at all; compute and other cost in off hours; compute
# hours, effective and list cost outside them.
_PER_RESOURCE = f"""
WITH ids AS (SELECT DISTINCT provider, mkey FROM claims),
rows AS (
  SELECT b.*, {COMPUTE} AS compute,
    EXISTS (SELECT 1 FROM claims c WHERE c.provider = b.provider AND c.mkey = b.mkey
            AND b.start_s >= c.start_s AND b.end_s <= c.end_s) AS off
  FROM bill_keyed b JOIN ids USING (provider, mkey)
)
SELECT ids.provider, ids.mkey, count(r.mkey) > 0,
  sum(CASE WHEN r.off AND r.compute THEN r.effective END),
  sum(CASE WHEN r.off AND NOT r.compute THEN r.effective END),
  sum(CASE WHEN NOT r.off AND r.compute THEN
        CASE WHEN r.quantity > 0 AND (r.unit LIKE '%hour%' OR r.unit LIKE 'hr%')
             THEN r.quantity ELSE (r.end_s - r.start_s) / 3600.0 END END),
  count(DISTINCT CASE WHEN NOT r.off AND r.compute THEN floor(r.start_s / 3600) END),
  sum(CASE WHEN NOT r.off AND r.compute THEN r.effective END),
  sum(CASE WHEN NOT r.off AND r.compute THEN r.list_cost END)
FROM ids LEFT JOIN rows r USING (provider, mkey)
GROUP BY ids.provider, ids.mkey
"""

# The bill's span (an export is refreshed as a whole: its last charge period is how far
# it goes), and whether it is still provisional: its billing period runs past its last
# charge, or rows are not yet on an invoice.
_SPAN = """
SELECT min(start_s), max(end_s),
  coalesce(max(billing_period_end_s) > max(end_s), false) OR coalesce(bool_or(NOT invoiced), false)
FROM bill
"""
