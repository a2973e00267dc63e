"""One run on one target, as phases: read → observe → plan → record intents → act →
book → flush. Each phase takes values and returns one; ``ledger/README.md`` has the
failure table the phases are tested against (``tests/faults/``), in the same order.

1. ``read``: the state object (validated; a corrupt one is kept aside and rebuilt from
   the ledger). Another run's live lease means: report it, do nothing to this target.
2. ``observe``: discover; resolve what earlier runs left unconfirmed and close the
   periods of resources that came back.
3. ``plan_target``: a decision per resource (``planner.plan``), then the hooks
   (``run_hooks``: wake narrows the plan, notices fall due).
4. ``record_intents``: before any mutating call, one conditional write records the
   lease, an intent per resource about to change and the notices claimed. A run with
   nothing to change writes nothing here. A lost race means another run wrote
   meanwhile: look again from 1. A store that cannot be written lets only starts go
   ahead (a resource is never left off in its working hours for want of a ledger).
5. ``act``: the adapters apply the plan; the hooks send what they claimed.
6. ``book``: one conditional write books the results against this run's intents, keeps
   the rows as ``pending`` and releases the lease (a lost race re-reads and books again
   on the newer state). A run that changed nothing skips it when ``quiet.may_skip``
   shows the state would be the same (the argument is there and in the README).
7. ``flush``: the pending rows to the run's ledger object, then cleared (conditionally).

Whatever raises inside a run is reported by the caller with its traceback; this run's
lease is released on the way out (only a dead process leaves it to expire) and its
intents stay for the next discovery to confirm. Instants never go back per target: a
run whose clock is behind the last run's books at the last run's instant, and says so.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, Any

import providers
from functions.jobs import bookings, order, quiet
from functions.jobs.checkpoints import still_off_rows
from functions.jobs.planner import Policy, plan
from functions.jobs.run_hooks import Hook, PlanView
from functions.jobs.saved_lookup import saved_kinds
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
    from functions.jobs.notices import NoticeOutcome
    from functions.jobs.reconcile import Job

log = logging.getLogger("offhours.reconcile")
# Times a run looks again after another run wrote the state between its read and its
# first write (each time it re-reads and re-discovers).
RESTARTS = 3
# Per hook (in the order of ``Run.hooks``): its notices.
Claims = tuple[tuple["NoticeOutcome", ...], ...]


class LeaseHeld(Exception):
    """Another run holds this target's lease."""


@dataclass(frozen=True)
class Run:
    """What every phase of one run on one target is given."""

    job: Job
    target: Target
    now: datetime
    run_id: str
    hooks: tuple[Hook, ...] = ()

    @property
    def key(self) -> str:
        return state_key(self.target.provider, self.target.account, self.target.region)

    @property
    def ledger_key(self) -> str:
        t = self.target
        return object_key(t.provider, t.account, t.region, self.now, self.run_id)

    def reload(self) -> Loaded:
        return load(self.job.store, self.key, self.run_id, lambda: _rebuilt(self.job, self.target))


@dataclass(frozen=True)
class Read:
    loaded: Loaded  # the working copy every write starts from
    as_read: TargetState  # untouched: what a quiet run compares its finish with
    held: str = ""  # another run's live lease: nothing is done


@dataclass(frozen=True)
class Observed:
    resources: tuple[Resource, ...]
    kinds: frozenset[str]
    floor: datetime | None  # the last run's instant: no booking opens before it
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Planned:
    decisions: tuple[Decision, ...]
    notices: Claims = ()
    warnings: tuple[str, ...] = ()

    @property
    def acting(self) -> list[Decision]:
        return [d for d in self.decisions if d.action is not Action.SKIP]


class Recorded(Enum):
    QUIET = "nothing to change: no lease taken, no intent written"
    TAKEN = "lease, intents and claims written"
    LOST = "another run wrote the state first: look again"
    REFUSED = "the store refused the write: starts only"


@dataclass(frozen=True)
class Prepared:
    """Phases 1-4: what this run goes on to do."""

    observed: Observed
    planned: Planned
    recorded: Recorded
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Acted:
    results: tuple[Result, ...]
    notices: Claims = ()
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Booked:
    written: bool
    error: str = ""


@dataclass(frozen=True)
class Flushed:
    rows: int = 0
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class TargetRun:
    """What the run's report says about this target."""

    decisions: tuple[Decision, ...] = ()
    results: tuple[Result, ...] = ()
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    notices: tuple[NoticeOutcome, ...] = ()
    ledger_key: str = ""
    rows: int = 0


def run_target(
    job: Job, target: Target, now: datetime, run_id: str, hooks: Sequence[Hook] = ()
) -> TargetRun:
    run = Run(job, target, now, run_id, tuple(hooks))
    try:
        return _run(run)
    except Exception:
        _release_lease(run)
        raise


def _run(run: Run) -> TargetRun:
    first = _prepare(run)
    if isinstance(first, TargetRun):
        return first
    read, prepared = first
    if run.job.dry_run:
        results, errors = _apply(run, prepared.planned.decisions)
        return _report(prepared, Acted(tuple(results), prepared.planned.notices, tuple(errors)))
    acted = act(run, prepared)
    booked = book(run, read, prepared, acted)
    flushed = flush(run, read.loaded) if booked.written else Flushed()
    report = _report(prepared, acted, booked.error)
    return replace(
        report,
        errors=report.errors + flushed.errors,
        ledger_key=run.ledger_key,
        rows=flushed.rows,
    )


def _prepare(run: Run) -> tuple[Read, Prepared] | TargetRun:
    """Phases 1-4, looked at again while another run keeps writing first."""
    for _ in range(RESTARTS):
        read = read_state(run)
        if read.held:
            return TargetRun(errors=(read.held,), warnings=tuple(read.loaded.problems))
        observed = observe(run, read.loaded)
        planned = plan_target(run, read.loaded.state, observed)
        if run.job.dry_run:
            return read, Prepared(observed, planned, Recorded.QUIET)
        prepared = record_intents(run, read.loaded, observed, planned)
        if prepared.recorded is not Recorded.LOST:
            return read, prepared
    return TargetRun(errors=("the state kept changing under this run: nothing done",))


# 1. read ------------------------------------------------------------------------------


def read_state(run: Run) -> Read:
    loaded = run.reload()
    lease = loaded.state.lease
    held = ""
    if lease is not None and lease.live_for_other(run.run_id, run.now):
        held = (
            f"another run holds the lease on {run.target} until {iso(lease.until)} "
            f"(run {lease.run_id}): nothing done to this target"
        )
    return Read(loaded, copy.deepcopy(loaded.state), held)


# 2. observe ---------------------------------------------------------------------------


def observe(run: Run, loaded: Loaded) -> Observed:
    """Discover, price, and book what earlier runs left unconfirmed (as pending rows)."""
    state, now = loaded.state, run.now
    floor = state.last_run
    warnings = list(loaded.problems)
    if floor is not None and now < floor:
        warnings.append(
            f"clock went back: this run's instant {iso(now)} is before the last run on "
            f"{run.target} at {iso(floor)}; the desired state at {iso(now)} is enforced and "
            f"bookings use {iso(floor)}"
        )
    resources, kinds, errors = _discover(run, saved_kinds(state, now))
    if run.job.price_sources:
        book = PriceBook(run.job.price_sources, now, store=run.job.store)
        resources = enrich(resources, book)
        errors.extend(f"prices: {e}" for e in book.errors)
    rows = bookings.observe(resources, kinds, state, now, run.run_id, floor)
    _pend(state, run.ledger_key, rows)
    return Observed(tuple(resources), frozenset(kinds), floor, tuple(errors), tuple(warnings))


# 3. plan ------------------------------------------------------------------------------


def plan_target(run: Run, state: TargetState, observed: Observed) -> Planned:
    job, now = run.job, run.now
    resources = list(observed.resources)
    for hook in run.hooks:
        resources = hook.scope(resources)
    decisions = plan(
        resources,
        now,
        _last_runs(job, run.target, state),
        job.catalog,
        job.policy,
        wake=frozenset().union(*(h.woken for h in run.hooks)),
        # A resource offhours keeps off is started whenever its schedule says on: a
        # failed start, a clock that went back or a lost state never leave it off. So is
        # one whose start an order held.
        retry=frozenset(state.off) | frozenset(state.held),
        idle_off={k: p.since for k, p in state.off.items() if p.trigger == "idle"},
        running_since=state.running_since,
    )
    for hook in run.hooks:
        decisions = hook.adjust(decisions)
    view = PlanView(observed.resources, decisions, now, job.catalog, job.policy, state)
    due = [hook.due(view) for hook in run.hooks]
    return Planned(
        tuple(decisions),
        tuple(tuple(notices) for notices, _ in due),
        tuple(w for _, warnings in due for w in warnings),
    )


# 4. record intents --------------------------------------------------------------------


def record_intents(run: Run, loaded: Loaded, observed: Observed, planned: Planned) -> Prepared:
    """The lease, the intents and the claims in one conditional write, before acting."""
    job, state, now = run.job, loaded.state, run.now
    acting = planned.acting
    if not acting and not any(planned.notices):
        return Prepared(observed, planned, Recorded.QUIET)
    # The lease outlives the run: on Lambda, the time the platform still gives it.
    ttl = job.lease_ttl
    if job.time_left is not None:
        ttl = max(ttl, timedelta(seconds=job.time_left()))
    state.lease = Lease(run.run_id, now + ttl)
    bookings.record_intents(
        state,
        run.run_id,
        {d.resource.key: (d.action.value, d.resource, d.schedule) for d in acting},
        now,
        observed.floor,
        triggers={d.resource.key: d.trigger for d in acting if d.trigger != "schedule"},
    )
    claimed = tuple(
        tuple(hook.claim(state, list(due), run.run_id, now)) if due else ()
        for hook, due in zip(run.hooks, planned.notices, strict=True)
    )
    try:
        loaded.version = job.store.put_if(run.key, state.to_json(), loaded.version)
    except Conflict:
        return Prepared(observed, planned, Recorded.LOST)
    except StoreError as err:
        return _starts_only(observed, planned, err)
    return Prepared(observed, replace(planned, notices=claimed), Recorded.TAKEN)


def _starts_only(observed: Observed, planned: Planned, err: StoreError) -> Prepared:
    why = "not stopped: this run could not record its intent in the state store"
    decisions = tuple(
        replace(d, action=Action.SKIP, reason=f"{d.reason}; {why}") if d.action in _OFF else d
        for d in planned.decisions
    )
    unclaimed = sum(len(n) for n in planned.notices)
    warnings = (f"{unclaimed} notice(s) not claimed: none sent",) if unclaimed else ()
    return Prepared(
        observed,
        Planned(decisions, tuple(() for _ in planned.notices), planned.warnings),
        Recorded.REFUSED,
        (f"cannot record this run's intents ({err}): no resource stopped; starts only",),
        warnings,
    )


# 5. act -------------------------------------------------------------------------------


def act(run: Run, prepared: Prepared) -> Acted:
    results, errors = _apply(run, prepared.planned.decisions)
    sent = tuple(
        tuple(hook.send(list(claimed), run.now)) if claimed else ()
        for hook, claimed in zip(run.hooks, prepared.planned.notices, strict=True)
    )
    warnings = tuple(o.describe() for group in sent for o in group if o.error)
    return Acted(tuple(results), sent, tuple(errors), warnings)


def _apply(run: Run, decisions: Iterable[Decision]) -> tuple[list[Result], list[str]]:
    results: list[Result] = []
    errors: list[str] = []
    by_kind: dict[str, list[Decision]] = {}
    for decision in decisions:
        by_kind.setdefault(decision.resource.kind, []).append(decision)
    for adapter in run.job.adapters.get(run.target.provider, ()):
        group = by_kind.get(adapter.kind, [])
        if not group:
            continue
        try:
            results.extend(adapter.apply(group, run.job.dry_run))
        except Exception as err:  # the other kinds go on
            results.extend(_unknown(run, adapter.kind, group, err, errors))
    return results, errors


def _unknown(
    run: Run, kind: str, group: list[Decision], err: Exception, errors: list[str]
) -> list[Result]:
    """A kind's handler raised: what it did before is unknown. Its actions get no result,
    so their intents stay for the next discovery to confirm (a stop that happened opens
    its off-period there); only its skips are results."""
    log.exception("apply failed", extra={"target": str(run.target), "kind": kind})
    acting = sum(d.action is not Action.SKIP for d in group)
    errors.append(
        f"{kind}: apply raised {type(err).__name__}: {one_line(str(err))}; the outcome of {acting} "
        "action(s) is unknown: the next run confirms them from the resources' state"
    )
    return [Result(d, Outcome.SKIPPED, run.job.clock()) for d in group if d.action is Action.SKIP]


# 6. book ------------------------------------------------------------------------------


def book(run: Run, read: Read, prepared: Prepared, acted: Acted) -> Booked:
    """One conditional write: results booked against this run's intents, rows pending,
    lease released, ``last_run`` moved on; none at all when a quiet run changed nothing."""
    observed, planned = prepared.observed, prepared.planned

    def finish(state: TargetState) -> None:
        _check_lease(state, run)
        for hook, sent in zip(run.hooks, acted.notices, strict=True):
            hook.record(state, list(sent), run.run_id)
        rows = _booked_rows(run, observed, acted.results, state)
        _pend(state, run.ledger_key, rows)
        if state.lease and state.lease.run_id == run.run_id:
            state.lease = None
        _remember_order(state, observed.resources, planned.decisions, run.now, run.job.policy)
        if all(hook.advances_runs for hook in run.hooks):
            _move_runs(state, run.now, observed.kinds)

    if prepared.recorded is Recorded.QUIET and _unchanged(run, read, observed, finish):
        return Booked(written=False)
    try:
        commit(run.job.store, run.key, read.loaded, finish, run.reload)
    except LeaseHeld as held:
        return Booked(False, str(held))
    except StoreError as err:
        return Booked(
            False,
            f"state not written ({err}): what this run did is recorded as intents; "
            "the next run confirms it by looking at the resources",
        )
    return Booked(written=True)


def _booked_rows(
    run: Run, observed: Observed, results: Iterable[Result], state: TargetState
) -> list[dict[str, Any]]:
    floor, now, run_id = observed.floor, run.now, run.run_id
    rows = bookings.observe(observed.resources, set(observed.kinds), state, now, run_id, floor)
    rows += bookings.book_results(results, state, floor, run_id)
    rows += still_off_rows(observed.resources, state, now, run_id, run.job.checkpoint_every)
    return rows


def _move_runs(state: TargetState, now: datetime, kinds: Iterable[str]) -> None:
    """A scheduled run's instant: the start side acts on transitions after it."""
    state.last_run = bookings.later(now, state.last_run)
    for kind in kinds:
        state.kind_runs[kind] = bookings.later(now, state.kind_runs.get(kind))


def _unchanged(
    run: Run, read: Read, observed: Observed, finish: Callable[[TargetState], None]
) -> bool:
    """Whether the finish write of a run that took no lease may be skipped: it is tried
    on a copy and compared with the state as read (``quiet.may_skip``)."""
    trial = copy.deepcopy(read.loaded.state)
    try:
        finish(trial)
    except LeaseHeld:
        return False  # the write reports it
    job = run.job
    return quiet.may_skip(read.as_read, trial, observed.resources, run.now, job.catalog, job.policy)


def _check_lease(state: TargetState, run: Run) -> None:
    lease = state.lease
    if lease is not None and lease.live_for_other(run.run_id, run.now):
        raise LeaseHeld(
            f"run {lease.run_id} took over the lease on {run.target} (this run outlived it): "
            "it books what this run did by looking at the resources"
        )


# 7. flush -----------------------------------------------------------------------------


def flush(run: Run, loaded: Loaded) -> Flushed:
    """Pending rows (this run's and any a crashed run left) to their objects."""
    written: list[str] = []
    errors: list[str] = []
    rows = 0
    for ledger_key, pending in sorted(loaded.state.pending.items()):
        try:
            count = write_run(run.job.store, ledger_key, pending)
        except StoreError as err:
            errors.append(
                f"ledger object {ledger_key} not written ({err}): its {len(pending)} rows are "
                "kept in the state object and written by the next run"
            )
            continue
        written.append(ledger_key)
        rows = count if ledger_key == run.ledger_key else rows
    if written:
        _clear(run, loaded, written)
    return Flushed(rows, tuple(errors))


def _clear(run: Run, loaded: Loaded, written: list[str]) -> None:
    def clear(state: TargetState) -> None:
        for ledger_key in written:
            state.pending.pop(ledger_key, None)

    try:
        commit(run.job.store, run.key, loaded, clear, run.reload)
    except StoreError as err:
        # Harmless: the next run rewrites the same objects with the same rows.
        log.warning("pending rows written but not cleared: %s", err)


# the report ---------------------------------------------------------------------------


def _report(prepared: Prepared, acted: Acted, booking_error: str = "") -> TargetRun:
    observed, planned = prepared.observed, prepared.planned
    warnings: list[str] = []
    for note in (*observed.warnings, *planned.warnings, *prepared.warnings, *acted.warnings):
        if note not in warnings:
            warnings.append(note)
    errors = (*observed.errors, *prepared.errors, *acted.errors)
    return TargetRun(
        decisions=planned.decisions,
        results=acted.results,
        errors=(*errors, booking_error) if booking_error else errors,
        warnings=tuple(warnings),
        notices=tuple(n for group in acted.notices for n in group),
    )


# after an error -----------------------------------------------------------------------


def _release_lease(run: Run) -> None:
    """After an error: this run's lease goes, from a freshly read state (the failing step
    may have changed the copy in hand). Intents are left as they are."""

    def release(state: TargetState) -> None:
        if state.lease and state.lease.run_id == run.run_id:
            state.lease = None

    try:
        loaded = run.reload()
        if loaded.state.lease and loaded.state.lease.run_id == run.run_id:
            commit(run.job.store, run.key, loaded, release, run.reload)
    except StoreError as err:
        log.warning(
            "lease of run %s on %s not released (it expires): %s", run.run_id, run.target, err
        )
    except Exception:  # the error being reported is the caller's, not this one
        log.exception("lease of run %s on %s not released (it expires)", run.run_id, run.target)


# helpers ------------------------------------------------------------------------------


def _last_runs(job: Job, target: Target, state: TargetState) -> dict[str, datetime]:
    """A kind's start side acts on the transitions since its last successful discovery."""
    runs = {
        adapter.kind: state.kind_runs.get(adapter.kind, state.last_run)
        for adapter in job.adapters.get(target.provider, ())
    }
    return {kind: at for kind, at in runs.items() if at is not None}


def _remember_order(
    state: TargetState,
    resources: Iterable[Resource],
    decisions: Iterable[Decision],
    now: datetime,
    policy: Policy,
) -> None:
    """What the start and stop order needs from one run to the next (``order.py``)."""
    rules = order.Rules(policy.tag_key, policy.order_key, policy.order_wait_key)
    resources = list(resources)
    state.running_since = order.observed_running(resources, state.running_since, now, rules)
    # A held start is kept until a run sees the resource running (or no longer sees it).
    waiting = {r.key for r in resources if r.key not in state.running_since}
    state.held = (state.held & waiting) | order.held_starts(list(decisions))


def _pend(state: TargetState, ledger_key: str, rows: Iterable[dict[str, Any]]) -> None:
    rows = list(rows)
    if rows:
        state.pending[ledger_key] = state.pending.get(ledger_key, []) + rows


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


def _discover(run: Run, saved: frozenset[str] | None) -> tuple[list[Resource], set[str], list[str]]:
    resources: list[Resource] = []
    discovered: set[str] = set()
    errors: list[str] = []
    target = replace(run.target, saved_kinds=saved)
    for adapter in run.job.adapters.get(run.target.provider, ()):
        try:
            resources.extend(adapter.discover(target))
            discovered.add(adapter.kind)
        except Exception as err:  # one kind failing must not hide the others
            where = {"target": str(run.target), "kind": adapter.kind}
            log.exception("discovery failed", extra=where)
            errors.append(f"{adapter.kind}: discovery failed: {err}")
    return _with_windows(run.job, run.target, resources), discovered, errors


def _with_windows(job: Job, target: Target, resources: list[Resource]) -> list[Resource]:
    """The maintenance windows the resources' tags name, read once for the target."""
    path = providers.MAINTENANCE_WINDOWS.get(target.provider)
    connection = job.connections.get(target.provider)
    if path is None or connection is None:
        return resources
    attach = providers.load(path)
    found: list[Resource] = attach(connection, target, resources, job.policy.maintenance_key)
    return found
