"""Carrying out decisions: start every long-running operation, then wait for all together.

Each non-skip decision runs ``act(decision)`` on a pool of ``options.max_workers``
threads. ``act`` sends the request that starts the operation and returns a ``Pending``
(the SDK's ``LROPoller``, which polls in its own thread), a finished ``Result``, or a
detail string for work it completed itself. Once every operation has been started, the
pollers are awaited together against one deadline (``AzureConnection.lro_timeout`` on the
connection's monotonic clock): an operation that ends ``Succeeded`` is DONE, one that ends
``Failed`` is FAILED with ARM's error, and one still running at the deadline is ACCEPTED
(the next discovery sees its real state; a VM still ``deallocating`` is transitional and
left alone until it settles). A request the SDK raises an error for (``AzureError``), or a
state-store failure, becomes a FAILED result with the error text; anything else is a bug
and propagates with its traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ledger.store import StoreError
from providers.azure.common import error_text
from providers.base import Action, AdapterOptions, Decision, Outcome, Result

if TYPE_CHECKING:
    from providers.azure.connection import AzureConnection

log = logging.getLogger("offhours.azure")


def action_errors() -> tuple[type[Exception], ...]:
    """What one resource's action can fail with and still be a result, not a crash: the
    SDK's errors and the state store's. (Imported late: adapters import no SDK at load.)"""
    from azure.core.exceptions import AzureError

    return (AzureError, StoreError)


@dataclass(frozen=True)
class Pending:
    """An accepted long-running operation and what to say once it succeeded."""

    poller: Any  # azure.core.polling.LROPoller
    detail: str = ""


Act = Callable[[Decision], "Pending | Result | str"]


class StillRunning(Exception):
    """A step another one waits for was accepted and had not finished by the deadline."""


def wait_done(poller: Any, timeout: float, what: str) -> None:
    """Block until ``poller`` finished; raise its error, or StillRunning."""
    poller.wait(max(0.0, timeout))
    if not poller.done():
        raise StillRunning(f"{what} still in progress after {timeout:.0f}s")
    poller.result()


def run_decisions(
    decisions: Sequence[Decision],
    act: Act,
    options: AdapterOptions,
    connection: AzureConnection,
) -> list[Result]:
    clock = options.clock
    deadline = connection.monotonic() + connection.lro_timeout
    results: dict[int, Result] = {}
    futures: dict[int, Future[Pending | Result | str]] = {}
    with ThreadPoolExecutor(max_workers=max(1, options.max_workers)) as pool:
        for i, decision in enumerate(decisions):
            if decision.action is Action.SKIP:
                results[i] = Result(decision, Outcome.SKIPPED, clock())
            else:
                futures[i] = pool.submit(act, decision)
    for i, future in futures.items():
        remaining = max(0.0, deadline - connection.monotonic())
        results[i] = _settle(decisions[i], future, remaining, connection.lro_timeout, clock)
    return [results[i] for i in range(len(decisions))]


def _settle(
    decision: Decision,
    future: Future[Pending | Result | str],
    remaining: float,
    timeout: float,
    clock: Callable[[], Any],
) -> Result:
    try:
        started = future.result()
        if isinstance(started, Result):
            return started
        if isinstance(started, str):
            return Result(decision, Outcome.DONE, clock(), detail=started)
        started.poller.wait(remaining)
        if not started.poller.done():
            detail = f"{started.detail}: accepted, still in progress after {timeout:.0f}s"
            return Result(decision, Outcome.ACCEPTED, clock(), detail=detail.lstrip(": "))
        started.poller.result()
    except StillRunning as err:
        return Result(decision, Outcome.ACCEPTED, clock(), detail=f"{err}: stopped there")
    except action_errors() as err:  # one resource's failure is its Result, never the run's end
        log.warning("azure %s %s failed: %s", decision.action, decision.resource.id, err)
        return Result(decision, Outcome.FAILED, clock(), error=error_text(err))
    return Result(decision, Outcome.DONE, clock(), detail=started.detail)


def unsupported(decision: Decision, kind: str, at: Any) -> Result:
    action = decision.action.value
    return Result(decision, Outcome.FAILED, at, error=f"{kind} cannot {action}")
