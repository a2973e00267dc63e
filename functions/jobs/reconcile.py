"""The reconcile job: for every target, discover -> plan -> apply -> ledger.

Targets run in parallel on a bounded pool. One target failing (access denied, throttled
to death, a bug in one adapter) is reported in its TargetReport and never stops the
others. Within a target, one kind failing discovery is reported and the other kinds are
still scheduled. What one run does on one target, and how it survives crashes, races,
failing stores and clocks that go back, is ``functions/jobs/target_run.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

import schedules
from functions.jobs.checkpoints import CHECKPOINT_EVERY
from functions.jobs.planner import Policy
from functions.jobs.run_hooks import hooks_for
from functions.jobs.target_run import TargetRun, run_target
from functions.safe_text import one_line
from ledger.book import new_run_id
from providers.apply import FINISH_MARGIN, Budget
from providers.base import Connection, Decision, KindAdapter, Outcome, Result, Target
from providers.pricing import PriceSource
from providers.store import Conflict, ObjectStore, StoreError

if TYPE_CHECKING:
    from functions.jobs.notices import NoticeOutcome, NoticeStep

log = logging.getLogger("offhours.reconcile")
DEFERRED_KEY = "state/v1/deferred-targets.json"


@dataclass
class TargetReport:
    target: Target
    decisions: list[Decision] = field(default_factory=list)
    results: list[Result] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # Worth an operator's attention, but nothing failed (a clock that went back, a state
    # object rebuilt from the ledger).
    warnings: list[str] = field(default_factory=list)
    deferred: bool = False
    ledger_key: str = ""
    rows: int = 0
    # Warn-before-stop notices of this run: due (dry run), then sent or failed.
    notices: list[NoticeOutcome] = field(default_factory=list)

    @property
    def failed(self) -> list[Result]:
        return [r for r in self.results if r.outcome is Outcome.FAILED]

    def take(self, run: TargetRun) -> None:
        """What the target's run returned (``target_run.TargetRun``)."""
        self.decisions = list(run.decisions)
        self.results = list(run.results)
        self.errors.extend(run.errors)
        self.warnings.extend(w for w in run.warnings if w not in self.warnings)
        self.notices = list(run.notices)
        self.ledger_key = run.ledger_key
        self.rows = run.rows


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
    def warnings(self) -> list[str]:
        return [f"{t.target}: {w}" for t in self.targets for w in t.warnings]

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
    # Seconds left before the platform kills the run (a Lambda's remaining time, a
    # function's timeout, ``--time-budget``); None = no limit. Apply deadlines end
    # ``finish_margin`` seconds before it, so what a run did is always booked.
    time_left: Callable[[], float] | None = None
    finish_margin: float = FINISH_MARGIN
    min_seconds_per_target: float = 60.0
    # The job's one clock (``--at`` or the trigger's time): ``reconcile`` reads the run's
    # instant from it once; results are stamped with it as it advances.
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # Still-off checkpoint rows at most this often per target (functions/jobs/checkpoints).
    checkpoint_every: timedelta = CHECKPOINT_EVERY
    # How long a run may act on a target before another run may take over (job clock).
    lease_ttl: timedelta = timedelta(minutes=10)
    # Live price APIs (providers/pricing.py); empty = the bundled tables only.
    price_sources: Sequence[PriceSource] = ()
    # Warn-before-stop notices (functions/jobs/notices); None = none are sent.
    notices: NoticeStep | None = None


def reconcile(
    job: Job,
    *,
    on_target_done: Callable[[TargetReport], None] | None = None,
    targets: Sequence[Target] | None = None,
) -> RunReport:
    """One run at the job's instant: ``job.clock()`` read once, here. Every target plans,
    leases and books at that instant; results are stamped by the clock as it advances."""
    now = job.clock()
    if now.tzinfo is None:
        raise ValueError("reconcile needs a zone-aware instant")
    run_id = new_run_id(now)
    hooks = hooks_for(job.wake, job.notices)
    _budget_connections(job)
    all_targets, listing_errors = list_targets(job) if targets is None else (list(targets), [])
    ordered = _deferred_first(job.store, all_targets)
    reports: list[TargetReport] = [
        TargetReport(Target(p, "?"), errors=[e]) for p, e in listing_errors
    ]

    def work(target: Target, report: TargetReport) -> None:
        report.take(run_target(job, target, now, run_id, hooks))

    for report in fan_out(job, ordered, work, TargetReport):
        reports.append(report)
        if on_target_done:
            on_target_done(report)
    if not job.dry_run:
        _save_deferred(job.store, [r.target for r in reports if r.deferred], targets)
    return RunReport(run_id, now, job.dry_run, reports)


def _budget_connections(job: Job) -> None:
    """Every apply of this job waits for the cloud no longer than the job has left."""
    budget = Budget(job.time_left, job.finish_margin) if job.time_left is not None else None
    for connection in job.connections.values():
        connection.budget = budget


R = TypeVar("R", bound=TargetReport)


def fan_out(
    job: Job,
    targets: Sequence[Target],
    work: Callable[[Target, R], None],
    new_report: Callable[[Target], R],
) -> Iterator[R]:
    """``work`` on every target on the job's bounded pool, one report each, in order
    (the scheduling run, and the inventory job, go through here)."""
    if len(targets) <= 1 or job.max_workers <= 1:
        yield from (_guarded_target(job, target, work, new_report) for target in targets)
        return
    with ThreadPoolExecutor(max_workers=job.max_workers) as pool:
        futures = [
            pool.submit(_guarded_target, job, target, work, new_report) for target in targets
        ]
        yield from (future.result() for future in futures)


def list_targets(job: Job) -> tuple[list[Target], list[tuple[str, str]]]:
    targets: list[Target] = []
    errors: list[tuple[str, str]] = []
    for provider, connection in job.connections.items():
        try:
            targets.extend(connection.targets())
        except Exception as err:  # one cloud failing to list targets must not stop the others
            log.exception("listing targets failed", extra={"provider": provider})
            errors.append((provider, f"cannot list targets: {err}"))
    return targets, errors


def _guarded_target(
    job: Job, target: Target, work: Callable[[Target, R], None], new_report: Callable[[Target], R]
) -> R:
    report = new_report(target)
    if job.time_left is not None and job.time_left() < job.min_seconds_per_target:
        report.deferred = True
        report.errors.append("deferred: not enough time left")
        return report
    try:
        work(target, report)
    except StoreError as err:  # the store is down: nothing was done to this target
        log.error("target skipped: %s", err, extra={"target": str(target)})
        report.errors.append(f"state store unavailable, nothing done: {err}")
    except Exception as err:  # isolate targets; the cause is logged with its traceback
        log.exception("target failed", extra={"target": str(target)})
        report.errors.append(f"{type(err).__name__}: {one_line(str(err))}")  # one report line
    finally:
        _release(job, target)
    return report


def _release(job: Job, target: Target) -> None:
    """A finished target's clients and HTTP pools go now, not when the run ends."""
    connection = job.connections.get(target.provider)
    if connection is not None:  # a target of a cloud whose listing failed has none
        connection.release(target)


def _deferred_first(store: ObjectStore, targets: list[Target]) -> list[Target]:
    """Targets a previous run had to defer go first (an order hint: losing it is harmless)."""
    import json

    try:
        data = store.get(DEFERRED_KEY)
        names = set(json.loads(data)) if data else set()
    except (StoreError, ValueError, TypeError) as err:
        log.warning("deferred targets unreadable, ignored: %s", err)
        return targets
    return sorted(targets, key=lambda t: str(t) not in names)


def _save_deferred(
    store: ObjectStore, deferred: list[Target], only: Sequence[Target] | None = None
) -> None:
    """The targets this run deferred, for the next run to take first. A run over ``only``
    some targets (a batch of the Step Functions fan-out) replaces just their names."""
    import json

    if only is not None:
        _merge_deferred(store, {str(t) for t in only}, {str(t) for t in deferred})
        return
    try:
        if deferred or store.get(DEFERRED_KEY) is not None:
            store.put(DEFERRED_KEY, json.dumps(sorted(str(t) for t in deferred)).encode())
    except StoreError as err:
        log.warning("deferred targets not saved: %s", err)


def _merge_deferred(store: ObjectStore, ran: set[str], deferred: set[str]) -> None:
    """Batches run side by side, so each keeps the others' names (compare-and-swap); a
    race lost three times costs an order hint, nothing more."""
    import json

    problem = "lost the race three times"
    for _ in range(3):
        try:
            current = store.read(DEFERRED_KEY)
            names = set(json.loads(current.data)) if current.data else set()
            merged = (names - ran) | deferred
            if merged != names:
                store.put_if(DEFERRED_KEY, json.dumps(sorted(merged)).encode(), current.version)
            return
        except Conflict:
            continue
        except (StoreError, ValueError, TypeError) as err:
            problem = str(err)
            break
    log.warning("deferred targets not saved: %s", problem)
