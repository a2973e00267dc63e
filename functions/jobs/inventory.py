"""The daily inventory job: every target's resources, scheduled or not, for the digest.

A scheduling run (every 15 minutes) lists only what carries a schedule tag. Once a day
this job lists, per target, what every adapter's ``inventory(target)`` sees (the
resources that run, scheduled or untagged), and replaces the target's snapshot
(``ledger/inventory.py``); the digest finds its opportunities there. It uses the
scheduling run's Job, targets and fan-out, changes no resource, takes no lease and
writes no state: a snapshot is a report, rewritten whole, so a retried or doubled
invocation only rewrites it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from functions.jobs.reconcile import Job, TargetReport, fan_out, list_targets
from functions.settings import Settings
from ledger.inventory import InventoryItem, ItemPrice, Snapshot, write_inventory
from providers.base import Resource, Target
from providers.pricing import PriceBook, enrich
from providers.store import StoreError

log = logging.getLogger("offhours.inventory")


@dataclass
class InventoryReport(TargetReport):
    """One target's snapshot: what was listed, and the key it was written to ("" when
    it was not written: a dry run, or the store failed)."""

    resources: list[Resource] = field(default_factory=list)
    snapshot_key: str = ""

    def untagged(self, tag_key: str) -> list[Resource]:
        return [r for r in self.resources if tag_key not in r.tags]


@dataclass
class InventoryRun:
    now: datetime
    dry_run: bool
    targets: list[InventoryReport]

    @property
    def errors(self) -> list[str]:
        return [f"{t.target}: {e}" for t in self.targets for e in t.errors]

    @property
    def resources(self) -> list[Resource]:
        return [r for t in self.targets for r in t.resources]


def take_inventory(
    job: Job,
    now: datetime,
    targets: Sequence[Target] | None = None,
    on_target_done: Callable[[InventoryReport], None] | None = None,
) -> InventoryRun:
    """One snapshot per target (or per target of ``targets``) as of ``now``; a dry run
    lists but writes nothing."""
    if now.tzinfo is None:
        raise ValueError("the inventory needs a zone-aware instant")
    found, listing_errors = list_targets(job) if targets is None else (list(targets), [])
    reports = [InventoryReport(Target(p, "?"), errors=[e]) for p, e in listing_errors]

    def work(target: Target, report: InventoryReport) -> None:
        inventory_target(job, target, now, report)

    for report in fan_out(job, found, work, InventoryReport):
        reports.append(report)
        if on_target_done:
            on_target_done(report)
    return InventoryRun(now, job.dry_run, reports)


def inventory_target(job: Job, target: Target, now: datetime, report: InventoryReport) -> None:
    everything: dict[str, Resource] = {}
    for adapter in job.adapters.get(target.provider, ()):
        try:
            everything.update((r.key, r) for r in adapter.inventory(target))
        except Exception as err:  # one kind failing must not hide the others
            log.warning("inventory failed", exc_info=True, extra={"kind": adapter.kind})
            report.errors.append(f"{adapter.kind}: inventory failed: {err}")
    resources = list(everything.values())
    if job.price_sources:
        book = PriceBook(job.price_sources, now, store=job.store)
        resources = enrich(resources, book)
        report.errors.extend(f"prices: {e}" for e in book.errors)
    report.resources = resources
    if job.dry_run:
        return
    try:
        report.snapshot_key = write_inventory(job.store, snapshot_of(target, resources, now))
    except StoreError as err:
        report.errors.append(f"inventory snapshot not written: {err}")


def snapshot_of(target: Target, resources: Sequence[Resource], now: datetime) -> Snapshot:
    """The target's snapshot as of ``now``."""
    items = tuple(item_of(r) for r in resources)
    return Snapshot(target.provider, target.account, target.region, now, items)


def item_of(resource: Resource) -> InventoryItem:
    """What a snapshot records of a discovered resource (``ledger/inventory.py`` knows no
    cloud, so the job hands it its own shape)."""
    price = resource.price
    gpus = resource.extra.get("gpus", "")
    return InventoryItem(
        provider=resource.provider,
        account=resource.account,
        region=resource.region,
        kind=resource.kind,
        id=resource.id,
        name=resource.name,
        tags=resource.tags,
        state=str(resource.state),
        size=resource.size,
        price=None if price is None else ItemPrice(price.hourly, price.currency, price.source),
        service=resource.service,
        unmanaged_reason=resource.unmanaged_reason,
        accelerator=resource.accelerator,
        extra={"gpus": gpus} if gpus else {},
    )


def inventory_run(
    settings: Settings,
    now: datetime,
    time_left: Callable[[], float] | None,
    logger: logging.Logger | Any,
    targets: Sequence[Target] | None = None,
) -> dict[str, Any]:
    """What a cloud entry point calls for its daily inventory trigger (as
    ``functions.clouds.entry.scheduled_run`` for the scheduling one): the job from the
    environment's settings, one snapshot per target, a summary to log and return."""
    from functions.wiring import build_job

    job = replace(build_job(settings, lambda: now), time_left=time_left)
    run = take_inventory(job, now, targets=targets)
    for error in run.errors:
        logger.error("inventory error", extra={"error": error})
    return summary(run, settings.tag_key)


def summary(run: InventoryRun, tag_key: str) -> dict[str, Any]:
    return {
        "job": "inventory",
        "at": run.now.isoformat(),
        "dry_run": run.dry_run,
        "targets": len(run.targets),
        "resources": len(run.resources),
        "untagged": sum(len(t.untagged(tag_key)) for t in run.targets),
        "snapshots": sorted(t.snapshot_key for t in run.targets if t.snapshot_key),
        "errors": run.errors,
        "deferred": [str(t.target) for t in run.targets if t.deferred],
    }
