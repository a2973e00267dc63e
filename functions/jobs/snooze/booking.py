"""A snooze in the ledger: one row per confirmed link, never counted as savings.

The row's charge period is the extra running time (from the scheduled stop, or from now
when the link is confirmed after it, to the override's end) at the resource's list price:
what keeping it running costs, in ``x_KeptRunningHours``/``x_KeptRunningCost`` (its
savings columns are 0). Readers that add up savings skip ``x_Action == "snooze"``.
"""

from __future__ import annotations

from datetime import datetime

from functions.jobs.snooze.tokens import SnoozeToken
from ledger.book import new_run_id, object_key, write_run
from ledger.record import SNOOZE_ACTION, Row
from providers import bill_ids
from providers.base import Resource
from providers.store import ObjectStore

REASON = "kept running by request"


def snooze_row(
    resource: Resource,
    token: SnoozeToken,
    now: datetime,
    until: datetime,
    run_id: str,
    tag_key: str,
    kept: datetime | None = None,
) -> Row:
    """``kept``: the end of a shorter keep this one extends (its time is booked already)."""
    price = resource.price
    bill = bill_ids.of_resource(resource)
    return Row(
        run_id=run_id,
        recorded_at=now,
        provider=resource.provider,
        account=resource.account,
        region=resource.region,
        kind=resource.kind,
        resource_id=resource.id,
        bill_id=bill.resource_id,
        resource_type=bill.resource_type,
        resource_name=resource.name,
        size=resource.size,
        service=resource.service,
        tags=resource.tags,
        action=SNOOZE_ACTION,
        outcome="done",
        reason=REASON,
        schedule=resource.tags.get(tag_key, ""),
        period_start=max(token.stop_at, now, kept or now),
        period_end=until,
        hourly_price=price.hourly if price else None,
        currency=price.currency if price else "USD",
        price_source=price.source if price else "",
        detail=f"requested by {token.recipient or 'an unnamed recipient'}",
    )


def book_snooze(
    store: ObjectStore,
    resource: Resource,
    token: SnoozeToken,
    now: datetime,
    until: datetime,
    tag_key: str = "schedule",
    kept: datetime | None = None,
) -> str:
    """Write the row as a run object of its own; returns its key."""
    run_id = new_run_id(now)
    row = snooze_row(resource, token, now, until, run_id, tag_key, kept)
    key = object_key(resource.provider, resource.account, resource.region, now, run_id)
    write_run(store, key, [row.to_dict()])
    return key
