"""``bill opportunities``: what a schedule would save, read from the bill alone.

A candidate is a resource of a kind offhours schedules (``providers.bill_ids.kind_of``),
tagged non-production (``environment``/``env``/``stage`` is dev, test, staging, …, in any
case) or carrying no tags at all, never protected (the configured protected tags,
``schedules/protected.py``), whose compute billed around the clock: in at least
``AROUND_THE_CLOCK`` of the hours its cloud's bill covers. Its monthly cost is its
effective cost per billed hour × 730; the saving is that × the share of the week the
schedule (``office-hours`` by default) keeps it off.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from functions.bill.check import COMPUTE
from functions.bill.source import query
from providers.bill_ids import kind_of
from schedules import Schedule, State, desired_state
from schedules.protected import ProtectedTags

if TYPE_CHECKING:
    import duckdb

HOURS_PER_MONTH = 730.0
AROUND_THE_CLOCK = 0.9
ENV_KEYS = ("environment", "env", "stage")
NON_PRODUCTION = frozenset(
    {"dev", "development", "test", "testing", "qa", "staging", "stage", "sandbox", "uat"}
    | {"nonprod", "non-prod", "demo", "preprod", "pre-prod", "int", "integration"}
)


@dataclass(frozen=True)
class Opportunity:
    resource_id: str
    provider: str
    kind: str
    monthly_cost: float
    monthly_savings: float
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "resource_id": self.resource_id,
            "provider": self.provider,
            "kind": self.kind,
            "monthly_cost": round(self.monthly_cost, 2),
            "monthly_savings": round(self.monthly_savings, 2),
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Opportunities:
    schedule: str
    off_share: float
    found: list[Opportunity]
    # (resource type or service, effective cost), most expensive first
    top_types: list[tuple[str, float]]
    untagged_cost: float
    total_cost: float

    def to_json(self) -> dict[str, Any]:
        return {
            "schedule": self.schedule,
            "off_share": round(self.off_share, 4),
            "opportunities": [o.to_json() for o in self.found],
            "top_resource_types": [
                {"resource_type": name, "cost": round(cost, 2)} for name, cost in self.top_types
            ],
            "untagged_cost": round(self.untagged_cost, 2),
            "total_cost": round(self.total_cost, 2),
        }


def off_share(schedule: Schedule, week_of: datetime) -> float:
    """The share of one week, hour by hour from ``week_of``, the schedule keeps off."""
    hours = [week_of + timedelta(hours=h, minutes=30) for h in range(168)]
    return sum(desired_state(schedule, at) is State.STOPPED for at in hours) / 168.0


def environment(tags: Mapping[str, str]) -> tuple[str, str] | None:
    """The (key, value) of the first environment tag, as the resource spells it."""
    for key, value in sorted(tags.items()):
        if key.strip().lower() in ENV_KEYS:
            return key, str(value)
    return None


def why(tags: Mapping[str, str], protected: ProtectedTags) -> str | None:
    """Why a resource is a candidate, or None (production, protected, other env)."""
    if protected.match(tags):
        return None
    if not tags:
        return "untagged"
    env = environment(tags)
    if env is not None and env[1].strip().lower() in NON_PRODUCTION:
        return f"tagged {env[0]}={env[1]}"
    return None


def parse_tags(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def find(
    con: duckdb.DuckDBPyConnection,
    schedule: Schedule,
    protected: ProtectedTags,
    top: int = 5,
) -> Opportunities:
    """The bill in ``con`` (``source.load``), ranked by monthly saving."""
    share = off_share(schedule, datetime(2024, 1, 1, tzinfo=UTC))
    found = []
    for provider, rid, tags, hours, span, cost in query(con, _PER_RESOURCE):
        kind = kind_of(provider, rid)
        reason = why(parse_tags(tags), protected) if kind else None
        if kind is None or reason is None or not span or hours < AROUND_THE_CLOCK * span:
            continue
        monthly = float(cost) / float(hours) * HOURS_PER_MONTH
        if monthly <= 0:
            continue
        found.append(
            Opportunity(
                rid,
                provider,
                kind,
                monthly,
                monthly * share,
                f"{reason}; billed {hours:.0f} of {span:.0f} hours",
            )
        )
    found.sort(key=lambda o: (-o.monthly_savings, o.provider, o.resource_id))
    types = [(str(n), float(c)) for n, c in query(con, _TOP_TYPES, [top])]
    untagged, total = query(con, _UNTAGGED)[0]
    return Opportunities(schedule.name, share, found, types, float(untagged), float(total))


# Per resource: its tags, distinct hours with compute charges, the hours its cloud's bill
# spans, and the effective compute cost.
_PER_RESOURCE = f"""
WITH spans AS (
  SELECT provider, (max(end_s) - min(start_s)) / 3600.0 AS span FROM bill GROUP BY provider
)
SELECT b.provider, any_value(b.resource_id), max(b.tags),
  count(DISTINCT floor(b.start_s / 3600)), any_value(s.span), sum(b.effective)
FROM bill b JOIN spans s USING (provider)
WHERE {COMPUTE}
GROUP BY b.provider, b.rid
"""

_TOP_TYPES = """
SELECT coalesce(resource_type, service, 'unknown') AS name, sum(effective) AS cost
FROM bill GROUP BY name HAVING cost > 0 ORDER BY cost DESC, name LIMIT ?
"""

_UNTAGGED = """
SELECT coalesce(sum(CASE WHEN tags IS NULL OR trim(tags) IN ('', '{}') THEN effective END), 0),
  coalesce(sum(effective), 0)
FROM bill
"""
