"""The reconcile job: for every target, discover -> plan -> apply -> ledger.

Targets run in parallel on a bounded pool. One target failing (access denied, throttled
to death, a bug in one adapter) is reported in its TargetReport and never stops the
others. Within a target, one kind failing discovery is reported and the other kinds are
still scheduled.

Order of writes after acting: the target's state object first, carrying the run's ledger
rows as "pending" in the same atomic write; then the ledger object; then the state again
without them. A crash anywhere in between is finished by the next run (it writes what is
still pending; ledger writes merge by resource and action), so no booking is lost or
counted twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import schedules
from functions.bookings import rows_for_run
from functions.planner import Policy, plan
from ledger.book import object_key, run_id_for, write_run
from ledger.inventory import taken_at, write_inventory
from ledger.run_state import load_state, save_state, state_key
from ledger.store import ObjectStore
from providers.base import (
    Action,
    Connection,
    Decision,
    KindAdapter,
    Outcome,
    Resource,
    Result,
    Target,
)
from providers.pricing import PriceBook, PriceSource, enrich

log = logging.getLogger("offhours.reconcile")
DEFERRED_KEY = "state/v1/deferred-targets.json"
# Untagged resources are listed for the digest's opportunities once a day, not every run.
INVENTORY_EVERY = timedelta(hours=24)
_ON = (Action.START, Action.SCALE_UP)


@dataclass
class TargetReport:
    target: Target
    decisions: list[Decision] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    deferred: bool = False
    ledger_key: str = ""
    rows: int = 0

    @property
    def failed(self) -> list[Result]:
        return [r for r in self.results if r.outcome is Outcome.FAILED]


@dataclass
class RunReport:
    run_id: str
    now: datetime
    dry_run: bool
    targets: list[TargetReport]

    @property
    def decisions(self) -> list[Decision]:
        return [d for t in self.targets for d in t.decisions]

    @property
    def results(self) -> list[Result]:
        return [r for t in self.targets for r in t.results]

    @property
    def errors(self) -> list[str]:
        return [f"{t.target}: {e}" for t in self.targets for e in t.errors]

    @property
    def deferred(self) -> list[Target]:
        return [t.target for t in self.targets if t.deferred]


@dataclass(frozen=True)
class Job:
    """Everything one run needs, built once by the entry point."""

    connections: Mapping[str, Connection]
    adapters: Mapping[str, Sequence[KindAdapter]]
    store: ObjectStore
    catalog: schedules.Catalog
    policy: Policy
    dry_run: bool = False
    max_workers: int = 8
    wake: frozenset[str] = frozenset()
    # Seconds left before the platform kills the run (Lambda); None = no limit.
    time_left: Callable[[], float] | None = None
    min_seconds_per_target: float = 60.0
    clock: Callable[[], datetime] | None = None
    # Live price APIs (providers/pricing.py); empty = the bundled tables only.
    price_sources: Sequence[PriceSource] = ()


def reconcile(
    job: Job,
    now: datetime,
    on_target_done: Callable[[TargetReport], None] | None = None,
    targets: Sequence[Target] | None = None,
) -> RunReport:
    if now.tzinfo is None:
        raise ValueError("reconcile needs a zone-aware instant")
    all_targets, listing_errors = _targets(job) if targets is None else (list(targets), [])
    ordered = _deferred_first(job.store, all_targets)
    reports: list[TargetReport] = [
        TargetReport(Target(p, "?"), errors=[e]) for p, e in listing_errors
    ]
    for report in _fan_out(job, ordered, now):
        reports.append(report)
        if on_target_done:
            on_target_done(report)
    if not job.dry_run:
        _save_deferred(job.store, [r.target for r in reports if r.deferred])
    return RunReport(run_id_for(now), now, job.dry_run, reports)


def _fan_out(job: Job, targets: list[Target], now: datetime) -> Iterator[TargetReport]:
    if len(targets) <= 1 or job.max_workers <= 1:
        yield from (_guarded_target(job, target, now) for target in targets)
        return
    with ThreadPoolExecutor(max_workers=job.max_workers) as pool:
        futures = [pool.submit(_guarded_target, job, target, now) for target in targets]
        yield from (future.result() for future in futures)


def _targets(job: Job) -> tuple[list[Target], list[tuple[str, str]]]:
    targets: list[Target] = []
    errors: list[tuple[str, str]] = []
    for provider, connection in job.connections.items():
        try:
            targets.extend(connection.targets())
        except Exception as err:  # one cloud failing to list targets must not stop the others
            log.exception("listing targets failed", extra={"provider": provider})
            errors.append((provider, f"cannot list targets: {err}"))
    return targets, errors


def _guarded_target(job: Job, target: Target, now: datetime) -> TargetReport:
    if job.time_left is not None and job.time_left() < job.min_seconds_per_target:
        return TargetReport(target, deferred=True, errors=["deferred: not enough time left"])
    try:
        return _run_target(job, target, now)
    except Exception as err:  # isolate targets; the cause is logged with its traceback
        log.exception("target failed", extra={"target": str(target)})
        return TargetReport(target, errors=[f"{type(err).__name__}: {err}"])


def _run_target(job: Job, target: Target, now: datetime) -> TargetReport:
    report = TargetReport(target)
    key = state_key(target.provider, target.account, target.region)
    state = load_state(job.store, key)
    resources, discovered_kinds = _discover(job, target, report)
    if job.price_sources:
        book = PriceBook(job.price_sources, now, store=job.store)
        resources = enrich(resources, book)
        report.errors.extend(f"prices: {e}" for e in book.errors)
    # A kind's start side acts on the transitions since its last successful discovery;
    # state written before per-kind tracking has only ``last_run``, standing for all kinds.
    last_runs = {
        adapter.kind: state.kind_runs.get(adapter.kind, state.last_run)
        for adapter in job.adapters.get(target.provider, ())
    }
    # A wake plans only the named resources and never stops anything; the others keep
    # their pending transitions for the next scheduled run.
    named = [r for r in resources if r.id in job.wake or r.name in job.wake]
    decisions = plan(
        named if job.wake else resources,
        now,
        {kind: at for kind, at in last_runs.items() if at is not None},
        job.catalog,
        job.policy,
        wake=job.wake,
        retry=frozenset(state.retry_start),
    )
    if job.wake:
        decisions = [d if d.action in _ON else replace(d, action=Action.SKIP) for d in decisions]
    report.decisions = decisions
    report.results = _apply(job, target, decisions, report)
    if job.dry_run:
        return report
    rows = rows_for_run(report.results, resources, discovered_kinds, state, now)
    report.ledger_key = object_key(target.provider, target.account, target.region, now)
    if rows:
        state.pending[report.ledger_key] = state.pending.get(report.ledger_key, []) + rows
    if not job.wake:
        state.last_run = now
        state.kind_runs.update(dict.fromkeys(discovered_kinds, now))
        state.retry_start = sorted(
            r.resource.key for r in report.failed if r.decision.action in _ON
        )
    save_state(job.store, key, state)
    if state.pending:
        for ledger_key, pending in state.pending.items():
            written = write_run(job.store, ledger_key, pending)
            if ledger_key == report.ledger_key:
                report.rows = written
        state.pending = {}
        save_state(job.store, key, state)
    # Last: the inventory is a report for the digest; nothing the run did depends on it.
    if _inventory_due(job, target, now):
        write_inventory(job.store, target, _inventory(job, target, resources, report), now)
    return report


def _discover(job: Job, target: Target, report: TargetReport) -> tuple[list[Resource], set[str]]:
    resources: list[Resource] = []
    discovered: set[str] = set()
    for adapter in job.adapters.get(target.provider, ()):
        try:
            resources.extend(adapter.discover(target))
            discovered.add(adapter.kind)
        except Exception as err:  # one kind failing must not hide the others
            log.exception("discovery failed", extra={"target": str(target), "kind": adapter.kind})
            report.errors.append(f"{adapter.kind}: discovery failed: {err}")
    return resources, discovered


def _inventory_due(job: Job, target: Target, now: datetime) -> bool:
    last = taken_at(job.store, target)
    return last is None or now - last >= INVENTORY_EVERY


def _inventory(
    job: Job, target: Target, discovered: list[Resource], report: TargetReport
) -> list[Resource]:
    """What the digest's opportunities are found in: the scheduled resources plus the
    untagged ones of kinds whose adapter can list them (``inventory(target)``)."""
    everything = {r.key: r for r in discovered}
    for adapter in job.adapters.get(target.provider, ()):
        lister = getattr(adapter, "inventory", None)
        if lister is None:
            continue
        try:
            everything.update((r.key, r) for r in lister(target) if r.key not in everything)
        except Exception as err:  # the inventory is a report: never fail the run for it
            log.warning("inventory failed", exc_info=True, extra={"kind": adapter.kind})
            report.errors.append(f"{adapter.kind}: inventory failed: {err}")
    return list(everything.values())


def _apply(
    job: Job, target: Target, decisions: list[Decision], report: TargetReport
) -> list[Result]:
    results: list[Result] = []
    by_kind: dict[str, list[Decision]] = {}
    for decision in decisions:
        by_kind.setdefault(decision.resource.kind, []).append(decision)
    for adapter in job.adapters.get(target.provider, ()):
        group = by_kind.get(adapter.kind, [])
        if not group:
            continue
        try:
            results.extend(adapter.apply(group, job.dry_run))
        except Exception as err:  # record every decision of the kind as failed, keep going
            log.exception("apply failed", extra={"target": str(target), "kind": adapter.kind})
            report.errors.append(f"{adapter.kind}: apply failed: {err}")
            at = job.clock() if job.clock else datetime.now(UTC)
            results.extend(
                Result(
                    d,
                    Outcome.SKIPPED if d.action is Action.SKIP else Outcome.FAILED,
                    at,
                    error=str(err),
                )
                for d in group
            )
    return results


def _deferred_first(store: ObjectStore, targets: list[Target]) -> list[Target]:
    import json

    data = store.get(DEFERRED_KEY)
    if not data:
        return targets
    names = set(json.loads(data))
    return sorted(targets, key=lambda t: str(t) not in names)


def _save_deferred(store: ObjectStore, deferred: list[Target]) -> None:
    import json

    if deferred or store.get(DEFERRED_KEY) is not None:
        store.put(DEFERRED_KEY, json.dumps(sorted(str(t) for t in deferred)).encode())
