"""The one apply engine: how every kind on every cloud carries out its decisions.

An adapter gives the engine what is specific to it: one handler per action (the call to
make) and, for clouds with long-running operations, how to read its operation. The engine
does the rest, the same way everywhere:

- a dry run stops here (``Applier.apply``): every adapter returns its plan untouched;
- ``skip`` decisions become ``skipped`` results; an action the kind has no handler for is
  ``failed`` ("<kind> cannot <action>");
- handlers run on a pool of ``max_workers`` threads; results keep the decisions' order;
- per-resource isolation catches only the cloud SDK's error types (given by the adapter),
  the state store's errors and the engine's own refusals (``Refused``, ``AlreadyOff``,
  ``StillRunning``): anything else is a bug and propagates with its traceback;
- a handler may return a started long-running ``Operation``; once every handler has run,
  each operation is waited for up to one monotonic ``Deadline``: seen finished cleanly ->
  ``done``, ended in error -> ``failed`` with the cloud's error, still running ->
  ``accepted`` (``providers.base`` outcome table);
- that deadline is the connection's own wait cut to the job's ``Budget`` (what the
  platform still gives the run, less a margin to write the finish): a run near its end
  records ``accepted`` rather than being killed while it waits;
- APIs that act on many resources per call (EC2) go through ``run_batches``: one call per
  batch, a rejected batch split in half and retried down to single resources.
"""

from __future__ import annotations

import contextvars
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from providers.base import Action, AdapterOptions, Decision, Outcome, Result, chunks
from providers.store import StoreError

Op = TypeVar("Op")
C = TypeVar("C")  # an adapter's cloud connection
# The first re-read at once, then 0.05 s doubling up to 5 s: short operations are seen
# finishing within a few reads, long ones cost about one read every 5 s.
FIRST_DELAY = 0.05
MAX_DELAY = 5.0
ALREADY_OFF = "already off"
NO_SAVED_SIZE = "no saved size to restore"
# Seconds a job keeps back from its budget to book what it did: one compare-and-swap
# state write (re-read and retried on a lost race), the ledger object, the pending clear.
FINISH_MARGIN = 30.0


class Refused(Exception):
    """The adapter will not act on this resource: a ``failed`` result with this text."""


class AlreadyOff(Exception):
    """A stop found the resource already stopped or at zero: ``skipped``, nothing booked."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(f"{ALREADY_OFF}: {detail}" if detail else ALREADY_OFF)


class StillRunning(Exception):
    """A step that a later one waits for had not finished by the deadline: ``accepted``."""


@dataclass(frozen=True)
class Deadline:
    """When an apply stops waiting, on a monotonic clock (never the wall clock)."""

    at: float
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    @classmethod
    def after(
        cls,
        seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> Deadline:
        return cls(monotonic() + seconds, monotonic, sleep)

    def remaining(self) -> float:
        return max(0.0, self.at - self.monotonic())

    def wait(
        self, operation: Op, read: Callable[[Op], Op], done: Callable[[Op], bool]
    ) -> tuple[Op, bool]:
        """Read ``operation`` again until ``done`` (True) or the deadline comes (False)."""
        delay = 0.0
        while not done(operation):
            if self.monotonic() + delay > self.at:
                return operation, False
            if delay:
                self.sleep(delay)
            operation = read(operation)
            delay = min(MAX_DELAY, max(FIRST_DELAY, delay * 2))
        return operation, True


@dataclass(frozen=True)
class Budget:
    """What a job may still spend waiting: ``time_left()`` is the seconds before its
    platform ends it (a Lambda's remaining time, a function's timeout, ``--time-budget``),
    read when an apply starts; ``margin`` of it is kept to write the finish."""

    time_left: Callable[[], float]
    margin: float = FINISH_MARGIN

    def seconds(self) -> float:
        return max(0.0, self.time_left() - self.margin)


def apply_deadline(
    wait: float,
    budget: Budget | None,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Deadline:
    """One apply's deadline from now: the connection's own ``wait``, or less when the
    job's budget ends sooner."""
    seconds = wait if budget is None else min(wait, budget.seconds())
    return Deadline(monotonic() + max(0.0, seconds), monotonic, sleep)


class Applier(ABC, Generic[C]):
    """A kind adapter, built with its cloud's connection and the options every adapter
    takes. Its ``apply`` is the plan untouched in a dry run (nothing read or written),
    otherwise the adapter's own ``act``: the one place a dry run stops."""

    def __init__(self, connection: C, options: AdapterOptions) -> None:
        self.connection = connection
        self.options = options

    def apply(self, decisions: Sequence[Decision], dry_run: bool) -> Iterable[Result]:
        if dry_run:
            at = self.options.clock()
            return [
                Result(d, Outcome.SKIPPED if d.action is Action.SKIP else Outcome.DRY_RUN, at)
                for d in decisions
            ]
        return self.act(decisions)

    @abstractmethod
    def act(self, decisions: Sequence[Decision]) -> Iterable[Result]:
        """Carry out the decisions (through an ``Engine``): one result per decision."""


@dataclass(frozen=True)
class Settled:
    """How an action stood when the adapter stopped looking at it."""

    outcome: Outcome
    detail: str = ""
    error: str = ""


class Operation(Protocol):
    """A cloud's long-running operation, as the adapter knows how to read it."""

    def settle(self, deadline: Deadline) -> Settled:
        """Wait up to the deadline: DONE, FAILED (with the cloud's error) or ACCEPTED.
        May raise the cloud SDK's error instead of returning FAILED."""
        ...


@dataclass(frozen=True)
class Started:
    """A handler's answer when the cloud took the request as a long-running operation."""

    operation: Operation
    detail: str = ""
    # Runs once the operation is seen done (forget what was saved to restore); returns
    # a note for the result.
    on_done: Callable[[], str] | None = None


Step = Started | Settled | str
Handler = Callable[[Decision], Step]
# One call for a batch; returns the ids the cloud says were already off (stopped before).
BatchCall = Callable[[list[Decision]], Collection[str]]


@dataclass(frozen=True)
class Engine:
    """What one adapter runs its decisions through."""

    kind: str
    clock: Callable[[], datetime]
    # The cloud SDK's error types: a failure of one resource, never of the run.
    errors: tuple[type[Exception], ...]
    error_text: Callable[[BaseException], str]
    max_workers: int = 8

    def run(
        self,
        decisions: Sequence[Decision],
        handlers: Mapping[Action, Handler],
        deadline: Deadline | None = None,
    ) -> list[Result]:
        """Each decision through its action's handler; operations waited for together."""
        wait_until = deadline or Deadline.after(0.0)
        results: dict[int, Result] = {}
        futures: dict[int, Future[Step]] = {}
        with ThreadPoolExecutor(max_workers=max(1, self.max_workers)) as pool:
            for i, decision in enumerate(decisions):
                unhandled = self.unhandled(decision, handlers)
                if unhandled is not None:
                    results[i] = unhandled
                else:
                    # Each task in a copy of the caller's context (logging fields, ...).
                    handler = handlers[decision.action]
                    futures[i] = pool.submit(contextvars.copy_context().run, handler, decision)
        for i, future in futures.items():
            results[i] = self._settle(decisions[i], future, wait_until)
        return [results[i] for i in range(len(decisions))]

    def run_batches(
        self, decisions: Sequence[Decision], call: BatchCall, batch_size: int
    ) -> list[Result]:
        """One ``call`` per batch; a refused batch is bisected down to the bad resource."""
        results: list[Result] = []
        for batch in chunks(decisions, max(1, batch_size)):
            results.extend(self._bisect(list(batch), call))
        return results

    def unhandled(self, decision: Decision, actions: Collection[Action]) -> Result | None:
        """The result of a decision no handler runs: a ``skip`` is ``skipped``, an action
        outside ``actions`` is ``failed``; None when a handler is to act on it."""
        if decision.action is Action.SKIP:
            return Result(decision, Outcome.SKIPPED, self.clock())
        if decision.action not in actions:
            return self.failed(decision, f"{self.kind} cannot {decision.action.value}")
        return None

    def failed(self, decision: Decision, error: str) -> Result:
        return Result(decision, Outcome.FAILED, self.clock(), error=error)

    def _isolated(self) -> tuple[type[Exception], ...]:
        return (*self.errors, StoreError)

    def _settle(self, decision: Decision, future: Future[Step], deadline: Deadline) -> Result:
        try:
            step = future.result()
            settled = _settled(step, deadline)
        except AlreadyOff as err:
            return Result(decision, Outcome.SKIPPED, self.clock(), detail=str(err))
        except StillRunning as err:
            return Result(decision, Outcome.ACCEPTED, self.clock(), detail=str(err))
        except Refused as err:  # the same words on every cloud
            return self.failed(decision, str(err))
        except self._isolated() as err:  # this resource's failure is its result
            return self.failed(decision, self.error_text(err))
        return Result(
            decision, settled.outcome, self.clock(), error=settled.error, detail=settled.detail
        )

    def _bisect(self, batch: list[Decision], call: BatchCall) -> list[Result]:
        if not batch:
            return []
        try:
            already_off = set(call(batch))
        except self.errors as err:
            if len(batch) == 1:
                return [self.failed(batch[0], self.error_text(err))]
            middle = len(batch) // 2
            return self._bisect(batch[:middle], call) + self._bisect(batch[middle:], call)
        at = self.clock()
        return [
            Result(d, Outcome.SKIPPED, at, detail=ALREADY_OFF)
            if d.resource.id in already_off
            else Result(d, Outcome.DONE, at)
            for d in batch
        ]


def _settled(step: Step, deadline: Deadline) -> Settled:
    if isinstance(step, str):
        return Settled(Outcome.DONE, detail=step)
    if isinstance(step, Settled):
        return step
    settled = step.operation.settle(deadline)
    after = step.on_done() if step.on_done and settled.outcome is Outcome.DONE else ""
    detail = join_notes(step.detail, settled.detail, after)
    return Settled(settled.outcome, detail=detail, error=settled.error)


def wait_for(operation: Operation, deadline: Deadline, what: str) -> None:
    """For a step a later one depends on: return once it is done, raise ``Refused`` with
    the cloud's error if it failed, ``StillRunning`` if the deadline came first."""
    settled = operation.settle(deadline)
    if settled.outcome is Outcome.FAILED:
        raise Refused(f"{what}: {settled.error}")
    if settled.outcome is not Outcome.DONE:
        raise StillRunning(f"{what} still in progress at the deadline: stopped there")


def join_notes(*notes: str) -> str:
    return "; ".join(n for n in notes if n)
