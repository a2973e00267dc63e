"""Waiting for Google long-running operations, up to one deadline per ``apply``.

An action is ``done`` only once its operation is ``DONE`` without ``error`` (Compute Engine)
or ``done`` without ``error`` (``google.longrunning``: Workbench, Vertex AI); ``failed``
with the operation's error text when it ended badly after the API accepted it; and
``accepted`` when it is still running at the deadline (``providers.base`` outcome table).

Compute operations are read through zone/region operation clients built by the connection
with the same options as every other client: an ``ExtendedOperation.result()`` would poll
through a client of its own that ignores the configured endpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from providers.base import Outcome
from providers.gcp import rest

if TYPE_CHECKING:
    from providers.gcp.connection import GcpConnection

# The first read at once, then 0.05 s doubling up to 5 s: short operations are seen
# finishing within a few reads, long ones cost about one read every 5 s.
FIRST_DELAY = 0.05
MAX_DELAY = 5.0
Op = TypeVar("Op")


@dataclass(frozen=True)
class Deadline:
    """When an ``apply`` stops waiting, on the connection's monotonic clock."""

    at: float
    monotonic: Callable[[], float]
    sleep: Callable[[float], None]

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
class Settled:
    """How an operation stood when the adapter stopped looking at it."""

    outcome: Outcome  # DONE, FAILED or ACCEPTED
    name: str
    error: str = ""

    @property
    def note(self) -> str:
        if self.outcome is Outcome.ACCEPTED:
            return f"operation {self.name} still running at the deadline"
        return f"operation {self.name}"


def compute(connection: GcpConnection, operation: Any, deadline: Deadline) -> Settled:
    """Read a Compute Engine zone or region operation until ``DONE`` or the deadline."""
    from google.cloud import compute_v1

    operation, finished = deadline.wait(
        operation,
        lambda op: _read(connection, op),
        lambda op: bool(op.status == compute_v1.Operation.Status.DONE),
    )
    if not finished:
        return Settled(Outcome.ACCEPTED, operation.name)
    errors = list(operation.error.errors) if operation.error else []
    if errors:
        text = "; ".join(f"{e.code}: {e.message}" for e in errors)
        return Settled(Outcome.FAILED, operation.name, text)
    return Settled(Outcome.DONE, operation.name)


def _read(connection: GcpConnection, operation: Any) -> Any:
    project = operation.self_link.split("/projects/", 1)[1].split("/", 1)[0]
    if operation.zone:
        client = connection.compute("ZoneOperationsClient")
        return client.get(project=project, zone=_last(operation.zone), operation=operation.name)
    client = connection.compute("RegionOperationsClient")
    return client.get(project=project, region=_last(operation.region), operation=operation.name)


def longrunning(
    connection: GcpConnection, base: str, operation: rest.Json, deadline: Deadline
) -> Settled:
    """Read a ``google.longrunning.Operation`` (``{base}/{name}``) until done or the
    deadline."""
    session = connection.session()
    name = str(operation.get("name", ""))
    operation, finished = deadline.wait(
        operation,
        lambda _op: rest.call(session, "GET", f"{base}/{name}"),
        lambda op: bool(op.get("done")),
    )
    if not finished:
        return Settled(Outcome.ACCEPTED, name)
    if "error" in operation:
        error = operation["error"]
        return Settled(Outcome.FAILED, name, f"{error.get('code', '')} {error.get('message', '')}")
    return Settled(Outcome.DONE, name)


def _last(url: str) -> str:
    return url.rsplit("/", 1)[-1]
