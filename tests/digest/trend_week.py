"""Five weeks of ledger (2026-W44 .. W48) with snoozes, failures, every schedule spelling
and awkward team names; ``expected_*`` recompute the numbers from the rows alone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from ledger_rows import booking, problem, write_rows

from ledger.record import Row
from providers.store import LocalStore

MON = datetime(2026, 11, 23, tzinfo=UTC)  # 2026-W48
END = MON + timedelta(days=7)
NOW = datetime(2026, 11, 30, 7, tzinfo=UTC)
MONDAYS = [(MON - timedelta(weeks=k)).date() for k in range(4, -1, -1)]
LONG_TEAM = "platform-" + "x" * 120
LONG_PROBLEM = (
    "schedule 'mon-fri 08:00-19:00 Europe/Lodnon': unknown time zone 'Europe/Lodnon'; "
    + "valid inline forms: 'DAYS HH:MM-HH:MM [ZONE]' " * 6
)
# Four spellings of office-hours (UTC is the default zone) and one other schedule.
OFFICE = {
    "i-a": "office-hours",
    "i-b": "mon-fri 08:00-19:00 UTC",
    "vm-c": "off=(M-F,19);on=(M-F,8);tz=UTC",
    "vm-d": "mon-fri_0800-1900_utc",
}
WHO = {
    "i-a": ("Web", "aws", 1.0),
    "i-b": ("web", "aws", 0.5),
    "vm-c": ("Équipe données", "gcp", 2.0),
    "vm-d": ("Équipe données", "azure", 0.25),
    "i-e": ("Web", "aws", 1.0),
    "i-long": (LONG_TEAM, "aws", 0.1),
}
PLACE = {
    "aws": ("111111111111", "eu-west-1", "ec2"),
    "gcp": ("proj-ml", "europe-west4", "instances"),
    "azure": ("sub-1", "westeurope", "vms"),
}


def at(day: date | datetime, hour: float) -> datetime:
    base = day if isinstance(day, datetime) else datetime(day.year, day.month, day.day, tzinfo=UTC)
    return base + timedelta(hours=hour)


def _where(rid: str) -> dict[str, Any]:
    team, provider, _ = WHO[rid]
    account, region, kind = PLACE[provider]
    schedule = OFFICE.get(rid, "extended-hours")
    tags = {"team": team, "schedule": schedule, "owner": "alice@example.com"}
    return {
        "provider": provider,
        "account": account,
        "region": region,
        "kind": kind,
        "tags": tags,
        "schedule": schedule,
        "name": f"box-{rid}",
    }


def off(rid: str, start: datetime, hours: float, **extra: Any) -> dict[str, Any]:
    return booking(rid, start, start + timedelta(hours=hours), WHO[rid][2], **_where(rid), **extra)


def event(rid: str, when: datetime, action: str, outcome: str, **extra: Any) -> dict[str, Any]:
    where = _where(rid)
    return Row(
        run_id="r",
        recorded_at=when,
        provider=where["provider"],
        account=where["account"],
        region=where["region"],
        kind=where["kind"],
        resource_id=rid,
        resource_name=where["name"],
        size="t3.medium",
        service="svc",
        tags=where["tags"],
        action=action,
        outcome=outcome,
        reason=extra.pop("reason", "office-hours: off"),
        schedule=where["schedule"],
        hourly_price=WHO[rid][2],
        **extra,
    ).to_dict()


def snooze(
    rid: str, start: datetime, hours: float, recorded: datetime | None = None
) -> dict[str, Any]:
    """A snooze row as the snooze function writes it: the extra hours, at list price."""
    return event(
        rid,
        recorded or start,
        "snooze",
        "done",
        reason="kept running by request",
        detail="requested by alice@example.com",
        period_start=start,
        period_end=start + timedelta(hours=hours),
    )


@dataclass
class TrendLedger:
    store: LocalStore
    root: Path
    rows: list[dict[str, Any]] = field(default_factory=list)


def build_trend_ledger(root: Path) -> TrendLedger:
    w44, w45, w46, w47, w48 = MONDAYS
    rows = [
        off("i-a", at(w44 + timedelta(days=6), 2), 4),  # Sun 1 Nov: W44 and November
        off("i-b", at(w44 + timedelta(days=1), 20), 3),  # Tue 27 Oct: W44, October
        *(off("i-a", at(w + timedelta(days=1), 20), 10) for w in (w45, w46, w47, w48)),
        off("i-b", at(w47 + timedelta(days=2), 20), 4),
        off("i-b", at(w48 + timedelta(days=3), 19), 20),
        off("vm-c", at(w48 + timedelta(days=1), 0), 5),
        off("vm-c", at(w48 + timedelta(days=1), 0), 5, recorded=at(w48 + timedelta(days=1), 5.25)),
        off("vm-d", at(w48 + timedelta(days=2), 22), 8),
        off("i-e", at(w48 + timedelta(days=4), 22), 2),
        off("i-long", at(w48 + timedelta(days=4), 20), 10),
        event("i-a", at(w48 + timedelta(days=1), 20), "stop", "done"),
        event("i-b", at(w48 + timedelta(days=3), 18), "stop", "failed", error="throttled"),
        event("i-b", at(w47 + timedelta(days=3), 18), "stop", "failed", error="throttled"),
        snooze("i-a", at(w48, 19), 2),
        snooze("i-a", at(w48, 19), 2, recorded=at(w48, 19.25)),  # a retried run's copy
        snooze("i-a", at(w48 + timedelta(days=2), 19), 1),
        snooze("vm-c", at(w48 + timedelta(days=3), 19), 1),
        snooze("i-b", at(w47 + timedelta(days=3), 19), 3),  # last week: not this digest's
        problem("i-typo", at(w48, 9), LONG_PROBLEM, tags={"team": "Web"}),
    ]
    store = LocalStore(root)
    write_rows(store, rows)
    return TrendLedger(store, root, rows)


def _key(row: Mapping[str, Any]) -> tuple[str, str, str]:
    return (row["ResourceId"], row["ChargePeriodStart"], row["ChargePeriodEnd"])


def _unique(rows: list[dict[str, Any]], action: str | None = None) -> list[dict[str, Any]]:
    seen: dict[tuple[str, str, str], dict[str, Any]] = {}
    for row in rows:
        if action is None or row["x_Action"] == action:
            seen.setdefault(_key(row), row)
    return list(seen.values())


def _span(row: Mapping[str, Any]) -> tuple[datetime, datetime]:
    return (
        datetime.fromisoformat(row["ChargePeriodStart"]),
        datetime.fromisoformat(row["ChargePeriodEnd"]),
    )


def expected_saved(rows: list[dict[str, Any]], start: datetime, end: datetime) -> float:
    """Off hours x price inside [start, end), each booking once (no booking overlaps
    another here), snoozes left out."""
    total = 0.0
    for row in _unique([r for r in rows if r["x_Action"] == "start"]):
        s, e = _span(row)
        hours = (min(e, end) - max(s, start)).total_seconds() / 3600
        total += max(0.0, hours) * row["ListUnitPrice"]
    return total


def expected_snoozes(rows: list[dict[str, Any]], team: str | None = None) -> tuple[int, float]:
    found = [
        r
        for r in _unique(rows, "snooze")
        if MON <= _span(r)[0] < END and (team is None or r["Tags"]["team"] == team)
    ]
    cost = sum(
        (e - s).total_seconds() / 3600 * r["ListUnitPrice"] for r in found for s, e in [_span(r)]
    )
    return len(found), cost
