"""Build ledger rows and small ledgers for tests (through the real Row and book)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from ledger.book import object_key, write_run
from ledger.record import OPEN_OUTCOME, STILL_OFF_ACTION, Row
from ledger.run_state import TargetState
from ledger.schema import COLUMN_NAMES, column
from ledger.summary import Accumulator, ResourceSavings
from ledger.versions import upgraded
from providers.store import ObjectStore


def booking(
    rid: str,
    start: datetime,
    end: datetime,
    price: float | None,
    *,
    recorded: datetime | None = None,
    provider: str = "aws",
    account: str = "111111111111",
    region: str = "eu-west-1",
    kind: str = "ec2",
    tags: Mapping[str, str] | None = None,
    schedule: str = "office-hours",
    name: str = "",
    action: str = "start",
    outcome: str = "done",
) -> dict[str, Any]:
    """A row that books [start, end) off at ``price`` per hour (``action="still-off"``,
    ``outcome="open"``: a checkpoint of a period still open at ``end``)."""
    return Row(
        run_id="r",
        recorded_at=recorded or end,
        provider=provider,
        account=account,
        region=region,
        kind=kind,
        resource_id=rid,
        resource_name=name or rid,
        size="t3.medium",
        service="Amazon Elastic Compute Cloud",
        tags=dict(tags or {"team": "web"}),
        action=action,
        outcome=outcome,
        reason="office-hours: on",
        schedule=schedule,
        period_start=start,
        period_end=end,
        hourly_price=price,
        price_source="" if price is None else "bundled:test",
        off_period=action != "snooze",
    ).to_dict()


def still_off(rid: str, since: datetime, seen: datetime, price: float | None) -> dict[str, Any]:
    """A run's checkpoint: ``rid`` seen still off at ``seen``, off since ``since``."""
    return booking(rid, since, seen, price, action=STILL_OFF_ACTION, outcome=OPEN_OUTCOME)


def problem(
    rid: str,
    at: datetime,
    reason: str,
    *,
    provider: str = "aws",
    account: str = "111111111111",
    tags: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    return Row(
        run_id="r",
        recorded_at=at,
        provider=provider,
        account=account,
        region="eu-west-1",
        kind="ec2",
        resource_id=rid,
        resource_name=rid,
        size="t3.large",
        service="",
        tags=dict(tags or {"team": "data"}),
        action="skip",
        outcome="skipped",
        reason=reason,
    ).to_dict()


def write_rows(store: ObjectStore, rows: Iterable[dict[str, Any]]) -> list[str]:
    """Write each row into the object its run would have written (by provider, account,
    region and recorded instant), the way the job lays them out."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        recorded = datetime.fromisoformat(row["x_RecordedAt"])
        key = object_key(row["ProviderName"], row["SubAccountId"], row["RegionId"], recorded)
        groups.setdefault(key, []).append(row)
    for key, members in groups.items():
        write_run(store, key, members)
    return sorted(groups)


def save_state(store: ObjectStore, key: str, state: TargetState) -> None:
    """Seed a target's state object unconditionally (a run only ever compares and swaps)."""
    store.put(key, state.to_json())


def parse_csv_row(record: Mapping[str, str]) -> dict[str, Any]:
    """One record of ``ledger export --format csv`` back as a ledger row: the inverse of
    ``ledger.export``'s cells (a map is JSON, an empty double is null, one leading ``'``
    that guards a text cell from spreadsheets is removed)."""
    row: dict[str, Any] = {}
    for name in COLUMN_NAMES:
        text = record.get(name, "")
        kind = column(name).type
        if kind == "map":
            row[name] = json.loads(text) if text else {}
        elif kind == "double":
            row[name] = float(text) if text else None
        elif kind == "string" and text.startswith("'"):
            row[name] = text[1:]
        else:
            row[name] = text
    return row


def summarize(
    rows: Iterable[Mapping[str, Any]], start: datetime, end: datetime, tz: str = "UTC"
) -> list[ResourceSavings]:
    """The digest's per-resource savings of ``rows`` (still-off checkpoints included), as
    ``ledger.summary.window_summary`` counts a store's."""
    acc = Accumulator(start, end, tz)
    for row in upgraded(rows):
        acc.add(row)
    return acc.finish()
