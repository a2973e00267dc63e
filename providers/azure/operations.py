"""Carrying out decisions: start every long-running operation, then wait for all together.

Each non-skip decision runs ``act(decision)`` on a pool of ``options.max_workers``
threads. ``act`` sends the request that starts the operation and returns a ``Pending``
(the SDK's ``LROPoller``, which polls in its own thread), a finished ``Result``, or a
detail string for work it completed itself. Once every operation has been started, the
pollers are awaited together against one deadline (``AzureConnection.lro_timeout``): an
operation that ends ``Failed`` becomes a FAILED result; one still running at the deadline
is recorded DONE with the detail "accepted, still in progress" and the next run sees its
real state (a VM still ``deallocating`` is transitional and left alone until it settles).
A request that raises becomes a FAILED result with the ARM error text; nothing raised by
one resource stops the others.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from providers.azure.common import error_text
from providers.base import Action, AdapterOptions, Decision, Outcome, Result

log = logging.getLogger("offhours.azure")


@dataclass(frozen=True)
class Pending:
    """An accepted long-running operation and what to say once it succeeded."""

    poller: Any  # azure.core.polling.LROPoller
    detail: str = ""


Act = Callable[[Decision], "Pending | Result | str"]


class OperationTimeout(Exception):
    """A step that must finish before the next one did not finish in time."""


def wait_done(poller: Any, timeout: float, what: str) -> None:
    """Block until ``poller`` finished; raise its error, or OperationTimeout."""
    poller.wait(timeout)
    if not poller.done():
        raise OperationTimeout(f"{what} still in progress after {timeout:.0f}s")
    poller.result()


def run_decisions(
    decisions: Sequence[Decision], act: Act, options: AdapterOptions, timeout: float
) -> list[Result]:
    clock = options.clock
    results: dict[int, Result] = {}
    futures: dict[int, Future[Pending | Result | str]] = {}
    with ThreadPoolExecutor(max_workers=max(1, options.max_workers)) as pool:
        for i, decision in enumerate(decisions):
            if decision.action is Action.SKIP:
                results[i] = Result(decision, Outcome.SKIPPED, clock())
            else:
                futures[i] = pool.submit(act, decision)
    deadline = time.monotonic() + timeout
    for i, future in futures.items():
        results[i] = _settle(decisions[i], future, deadline, timeout, clock)
    return [results[i] for i in range(len(decisions))]


def _settle(
    decision: Decision,
    future: Future[Pending | Result | str],
    deadline: float,
    timeout: float,
    clock: Callable[[], Any],
) -> Result:
    try:
        started = future.result()
        if isinstance(started, Result):
            return started
        if isinstance(started, str):
            return Result(decision, Outcome.DONE, clock(), detail=started)
        started.poller.wait(max(0.0, deadline - time.monotonic()))
        if not started.poller.done():
            detail = f"{started.detail}: accepted, still in progress after {timeout:.0f}s"
            return Result(decision, Outcome.DONE, clock(), detail=detail.lstrip(": "))
        started.poller.result()
    except Exception as err:  # one resource's failure is its Result, never the run's end
        log.warning("azure %s %s failed: %s", decision.action, decision.resource.id, err)
        return Result(decision, Outcome.FAILED, clock(), error=error_text(err))
    return Result(decision, Outcome.DONE, clock(), detail=started.detail)


def unsupported(decision: Decision, kind: str, at: Any) -> Result:
    action = decision.action.value
    return Result(decision, Outcome.FAILED, at, error=f"{kind} cannot {action}")
