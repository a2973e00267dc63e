"""One run on one target: lease, write-ahead intents, act, book what was observed.

The protocol (``ledger/README.md`` has the failure table it is tested against):

1. Read the state object (validated; a corrupt one is kept aside and rebuilt from the
   ledger). Another run's live lease means: report it, do nothing to this target.
2. Discover; resolve what earlier runs left unconfirmed and close the periods of
   resources that came back; plan.
3. Before any mutating call, one conditional write records the lease and an intent per
   resource about to change. Losing that race means another run wrote meanwhile: look
   again from step 1. If the store cannot be written, only starts go ahead (a resource
   is never left off in its working hours for want of a ledger), and the run says so.
4. Act. Then one conditional write books the results against this run's intents, keeps
   the rows in the state as ``pending``, and releases the lease; a lost race re-reads
   and books again on the newer state.
5. Write the pending rows to the run's ledger object, then clear them (conditionally).

Whatever raises inside a run (a bug in an adapter, a rendering, a booking) is reported by
the caller with its traceback; this run's lease is released on the way out (only a dead
process leaves it to expire) and its intents stay for the next discovery to confirm, so
nothing the cloud's state can prove goes unbooked. A crash at any point leaves intents
(resolved by the next discovery), pending rows (written by the next run), or nothing to
redo. Instants never go back per target: a run whose clock is behind the last run's books
at the last run's instant, and says so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import providers
from functions.jobs import order
from functions.jobs.bookings import book_results, later, observe, record_intents
from functions.jobs.checkpoints import still_off_rows
from functions.jobs.planner import Policy, plan
from functions.safe_text import one_line
from ledger.book import object_key, read_records, write_run
from ledger.record import iso
from ledger.run_state import Lease, OffPeriod, TargetState, state_key
from ledger.state_store import Loaded, commit, load
from providers.base import OFF_ACTIONS as _OFF
from providers.base import Action, Decision, Outcome, Resource, Result, Target
from providers.pricing import PriceBook, enrich
from providers.store import Conflict, StoreError

if TYPE_CHECKING:
    from functions.jobs.reconcile import Job, TargetReport

log = logging.getLogger("offhours.reconcile")
# Times a run looks again after another run wrote the state between its read and its
# first write (each time it re-reads and re-discovers).
RESTARTS = 3
_ON = (Action.START, Action.SCALE_UP)


class LeaseHeld(Exception):
    """Another run holds this target's lease."""


def run_target(job: Job, target: Target, now: datetime, run_id: str, report: TargetReport) -> None:
    try:
        _run_target(job, target, now, run_id, report)
    except Exception:
        _release_lease(job, target, run_id)
        raise


def _release_lease(job: Job, target: Target, run_id: str) -> None:
    """After an error: this run's lease goes, from a freshly read state (the failing step
    may have changed the copy in hand). Intents are left as they are."""
    key = state_key(target.provider, target.account, target.region)

    def reload() -> Loaded:
        return load(job.store, key, run_id, lambda: _rebuilt(job, target))

    def release(state: TargetState) -> None:
        if state.lease and state.lease.run_id == run_id:
            state.lease = None

    try:
        loaded = reload()
        if loaded.state.lease and loaded.state.lease.run_id == run_id:
            commit(job.store, key, loaded, release, reload)
    except StoreError as err:
        log.warning("lease of run %s on %s not released (it expires): %s", run_id, target, err)
    except Exception:  # the error being reported is the caller's, not this one
        log.exception("lease of run %s on %s not released (it expires)", run_id, target)


def _run_target(job: Job, target: Target, now: datetime, run_id: str, report: TargetReport) -> None:
    key = state_key(target.provider, target.account, target.region)
    ledger_key = object_key(target.provider, target.account, target.region, now, run_id)

    def reload() -> Loaded:
        return load(job.store, key, run_id, lambda: _rebuilt(job, target))

    for _ in range(RESTARTS):
        loaded = reload()
        try:
            prepared = _prepare(job, target, now, run_id, loaded, report, key, ledger_key)
        except LeaseHeld as held:
            report.errors.append(str(held))
            return
        if prepared is None:
            continue  # another run wrote the state: look again
        break
    else:
        report.errors.append("the state kept changing under this run: nothing done")
        return
    if job.dry_run:
        return
    resources, kinds, decisions = prepared
    floor = loaded.state.last_run
    report.results = _apply(job, target, decisions, report)
    report.ledger_key = ledger_key
    if job.notices and report.notices:  # claimed in step 3: send, book in the finish write
        report.notices = job.notices.send(report.notices, now)
        _note(report.warnings, [o.describe() for o in report.notices if o.error])

    def finish(state: TargetState) -> None:
        _check_lease(state, target, run_id, now, taken_over=True)
        if job.notices:
            job.notices.record(state, report.notices, run_id)
        rows = observe(resources, kinds, state, now, run_id, floor)
        rows += book_results(report.results, state, floor, run_id)
        rows += still_off_rows(resources, state, now, run_id, job.checkpoint_every)
        _pend(state, ledger_key, rows)
        if state.lease and state.lease.run_id == run_id:
            state.lease = None
        _remember_order(state, resources, decisions, now, job.policy)
        if job.wake:
            return  # a wake is no scheduled run: the start side's transitions still wait
        state.last_run = later(now, state.last_run)
        for kind in kinds:
            state.kind_runs[kind] = later(now, state.kind_runs.get(kind))

    try:
        commit(job.store, key, loaded, finish, reload)
    except LeaseHeld as held:
        report.errors.append(str(held))
        return
    except StoreError as err:
        report.errors.append(
            f"state not written ({err}): what this run did is recorded as intents; "
            "the next run confirms it by looking at the resources"
        )
        return
    _flush(job, key, loaded, reload, report)


def _prepare(
    job: Job,
    target: Target,
    now: datetime,
    run_id: str,
    loaded: Loaded,
    report: TargetReport,
    key: str,
    ledger_key: str,
) -> tuple[list[Resource], set[str], list[Decision]] | None:
    """Steps 1-3; None when another run wrote the state meanwhile."""
    state = loaded.state
    _note(report.warnings, loaded.problems)
    _check_lease(state, target, run_id, now)
    floor = state.last_run
    if floor is not None and now < floor:
        _note(
            report.warnings,
            [
                f"clock went back: this run's instant {iso(now)} is before the last run on "
                f"{target} at {iso(floor)}; the desired state at {iso(now)} is enforced and "
                f"bookings use {iso(floor)}"
            ],
        )
    resources, kinds = _discover(job, target, report)
    if job.price_sources:
        book = PriceBook(job.price_sources, now, store=job.store)
        resources = enrich(resources, book)
        report.errors.extend(f"prices: {e}" for e in book.errors)
    _pend(state, ledger_key, observe(resources, kinds, state, now, run_id, floor))
    # A wake plans only the named resources and never stops anything; the others keep
    # their pending transitions for the next scheduled run.
    named = [r for r in resources if r.id in job.wake or r.name in job.wake]
    decisions = plan(
        named if job.wake else resources,
        now,
        _last_runs(job, target, state),
        job.catalog,
        job.policy,
        wake=job.wake,
        # A resource offhours keeps off is started whenever its schedule says on: a
        # failed start, a clock that went back or a lost state never leave it off. So is
        # one whose start an order held.
        retry=frozenset(state.off) | frozenset(state.held),
        idle_off={k: p.since for k, p in state.off.items() if p.trigger == "idle"},
        running_since=state.running_since,
    )
    if job.wake:
        decisions = [d if d.action in _ON else replace(d, action=Action.SKIP) for d in decisions]
    report.decisions = decisions
    acting = [d for d in decisions if d.action is not Action.SKIP]
    if job.notices and not job.wake:
        report.notices, notes = job.notices.due(
            resources, decisions, now, job.catalog, job.policy, state
        )
        _note(report.warnings, notes)
    if job.dry_run:
        report.results = _apply(job, target, decisions, report)
        return resources, kinds, decisions
    if not acting and not report.notices:
        return resources, kinds, decisions
    # The lease outlives the run: on Lambda, the time the platform still gives it.
    ttl = job.lease_ttl
    if job.time_left is not None:
        ttl = max(ttl, timedelta(seconds=job.time_left()))
    state.lease = Lease(run_id, now + ttl)
    record_intents(
        state,
        run_id,
        {d.resource.key: (d.action.value, d.resource, d.schedule) for d in acting},
        now,
        floor,
        triggers={d.resource.key: d.trigger for d in acting if d.trigger != "schedule"},
    )
    if job.notices and report.notices:  # claimed in this write, before anything is sent
        report.notices = job.notices.claim(state, report.notices, run_id, now)
    try:
        loaded.version = job.store.put_if(key, state.to_json(), loaded.version)
    except Conflict:
        report.notices = []  # not claimed: the next look plans them again
        return None
    except StoreError as err:
        report.errors.append(
            f"cannot record this run's intents ({err}): no resource stopped; starts only"
        )
        if report.notices:
            _note(report.warnings, [f"{len(report.notices)} notice(s) not claimed: none sent"])
            report.notices = []
        decisions = _starts_only(decisions)
        report.decisions = decisions
    return resources, kinds, decisions


def _flush(
    job: Job, key: str, loaded: Loaded, reload: Callable[[], Loaded], report: TargetReport
) -> None:
    """Step 5: pending rows (this run's and any a crashed run left) to their objects."""
    written: list[str] = []
    for ledger_key, rows in sorted(loaded.state.pending.items()):
        try:
            count = write_run(job.store, ledger_key, rows)
        except StoreError as err:
            report.errors.append(
                f"ledger object {ledger_key} not written ({err}): its {len(rows)} rows are "
                "kept in the state object and written by the next run"
            )
            continue
        written.append(ledger_key)
        if ledger_key == report.ledger_key:
            report.rows = count
    if not written:
        return

    def clear(state: TargetState) -> None:
        for ledger_key in written:
            state.pending.pop(ledger_key, None)

    try:
        commit(job.store, key, loaded, clear, reload)
    except StoreError as err:
        # Harmless: the next run rewrites the same objects with the same rows.
        log.warning("pending rows written but not cleared: %s", err)


def _check_lease(
    state: TargetState, target: Target, run_id: str, now: datetime, taken_over: bool = False
) -> None:
    lease = state.lease
    if lease is None or not lease.live_for_other(run_id, now):
        return
    if taken_over:
        raise LeaseHeld(
            f"run {lease.run_id} took over the lease on {target} (this run outlived it): "
            "it books what this run did by looking at the resources"
        )
    raise LeaseHeld(
        f"another run holds the lease on {target} until {iso(lease.until)} "
        f"(run {lease.run_id}): nothing done to this target"
    )


def _last_runs(job: Job, target: Target, state: TargetState) -> dict[str, datetime]:
    """A kind's start side acts on the transitions since its last successful discovery."""
    runs = {
        adapter.kind: state.kind_runs.get(adapter.kind, state.last_run)
        for adapter in job.adapters.get(target.provider, ())
    }
    return {kind: at for kind, at in runs.items() if at is not None}


def _remember_order(
    state: TargetState,
    resources: list[Resource],
    decisions: list[Decision],
    now: datetime,
    policy: Policy,
) -> None:
    """What the start and stop order needs from one run to the next (``order.py``)."""
    rules = order.Rules(policy.tag_key, policy.order_key, policy.order_wait_key)
    state.running_since = order.observed_running(resources, state.running_since, now, rules)
    # A held start is kept until a run sees the resource running (or no longer sees it).
    waiting = {r.key for r in resources if r.key not in state.running_since}
    state.held = (state.held & waiting) | order.held_starts(decisions)


def _pend(state: TargetState, ledger_key: str, rows: Iterable[dict[str, Any]]) -> None:
    rows = list(rows)
    if rows:
        state.pending[ledger_key] = state.pending.get(ledger_key, []) + rows


def _starts_only(decisions: list[Decision]) -> list[Decision]:
    why = "not stopped: this run could not record its intent in the state store"
    return [
        replace(d, action=Action.SKIP, reason=f"{d.reason}; {why}") if d.action in _OFF else d
        for d in decisions
    ]


def _rebuilt(job: Job, target: Target) -> dict[str, OffPeriod]:
    """Off-periods of ``target`` that its ledger leaves open (for a lost state object)."""
    from ledger import rebuild  # only a lost or corrupt state object needs it

    unreadable: list[str] = []
    rows = read_records(
        job.store,
        provider=target.provider,
        account=target.account,
        suffix=f"-{target.region or 'global'}.jsonl.gz",
        unreadable=unreadable,
    )
    periods = rebuild.open_periods(rows)
    for problem in unreadable:
        log.warning("rebuilding %s: skipped unreadable ledger object %s", target, problem)
    return periods


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
    return _with_windows(job, target, resources), discovered


def _with_windows(job: Job, target: Target, resources: list[Resource]) -> list[Resource]:
    """The maintenance windows the resources' tags name, read once for the target."""
    path = providers.MAINTENANCE_WINDOWS.get(target.provider)
    connection = job.connections.get(target.provider)
    if path is None or connection is None:
        return resources
    attach = providers.load(path)
    found: list[Resource] = attach(connection, target, resources, job.policy.maintenance_key)
    return found


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
        except Exception as err:  # the other kinds go on
            results.extend(_unknown(job, target, adapter.kind, group, err, report))
    return results


def _unknown(
    job: Job,
    target: Target,
    kind: str,
    group: list[Decision],
    err: Exception,
    report: TargetReport,
) -> list[Result]:
    """A kind's handler raised: what it did before is unknown. Its actions get no result,
    so their intents stay for the next discovery to confirm (a stop that happened opens
    its off-period there); only its skips are results."""
    log.exception("apply failed", extra={"target": str(target), "kind": kind})
    acting = sum(d.action is not Action.SKIP for d in group)
    report.errors.append(
        f"{kind}: apply raised {type(err).__name__}: {one_line(str(err))}; the outcome of {acting} "
        "action(s) is unknown: the next run confirms them from the resources' state"
    )
    return [Result(d, Outcome.SKIPPED, job.clock()) for d in group if d.action is Action.SKIP]


def _note(into: list[str], notes: Iterable[str]) -> None:
    into.extend(n for n in notes if n not in into)
