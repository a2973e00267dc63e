"""What Azure adapters give the apply engine (``providers/apply.py``).

An action starts a long-running operation and returns it as an ``LroOperation`` (the
SDK's ``LROPoller``, which polls in its own thread as often as ARM's ``Retry-After``
says). The engine waits for them all against one deadline (``AzureConnection.lro_timeout``
on the connection's monotonic clock): ``Succeeded`` is DONE, ``Failed`` is FAILED with
ARM's error, still running at the deadline is ACCEPTED (the next discovery sees its real
state; a VM still ``deallocating`` is transitional and left alone until it settles).
Only ``AzureError`` (and the state store's errors) become a FAILED result; anything else
is a bug and propagates with its traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from providers.apply import Deadline, Engine, Settled
from providers.azure.common import error_text
from providers.base import AdapterOptions, Outcome

if TYPE_CHECKING:
    from providers.azure.connection import AzureConnection


def azure_errors() -> tuple[type[Exception], ...]:
    """The SDK's errors (imported late: adapters import no SDK at load)."""
    from azure.core.exceptions import AzureError

    return (AzureError,)


def engine(kind: str, options: AdapterOptions) -> Engine:
    return Engine(kind, options.clock, azure_errors(), error_text, options.max_workers)


def deadline(connection: AzureConnection) -> Deadline:
    """One apply's deadline, starting now (the connection's wait, cut to the job's budget)."""
    return connection.deadline()


@dataclass(frozen=True)
class LroOperation:
    """An ARM long-running operation, through the SDK's poller."""

    poller: Any  # azure.core.polling.LROPoller

    def settle(self, deadline: Deadline) -> Settled:
        self.poller.wait(deadline.remaining())
        if not self.poller.done():
            return Settled(Outcome.ACCEPTED, "accepted, still in progress at the deadline")
        self.poller.result()  # raises ARM's error for a Failed operation
        return Settled(Outcome.DONE)
