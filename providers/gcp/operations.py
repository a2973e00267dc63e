"""Reading Google long-running operations for the apply engine (``providers/apply.py``).

An action is ``done`` only once its operation is ``DONE`` without ``error`` (Compute Engine)
or ``done`` without ``error`` (``google.longrunning``: Workbench, Vertex AI); ``failed``
with the operation's error text when it ended badly after the API accepted it; and
``accepted`` when it is still running at the deadline (``providers.base`` outcome table).

Compute operations are read through zone/region operation clients built by the connection
with the same options as every other client: an ``ExtendedOperation.result()`` would poll
through a client of its own that ignores the configured endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from providers.apply import Deadline, Engine, Settled
from providers.base import AdapterOptions, Outcome
from providers.gcp import calls, rest

if TYPE_CHECKING:
    from providers.gcp.connection import GcpConnection


def engine(kind: str, options: AdapterOptions) -> Engine:
    """The apply engine as every GCP adapter uses it: Google's error types isolated."""
    return Engine(kind, options.clock, calls.ADAPTER_ERRORS, calls.error_text, options.max_workers)


def _settled(finished: bool, name: str, error: str) -> Settled:
    if not finished:
        return Settled(Outcome.ACCEPTED, f"operation {name} still running at the deadline")
    if error:
        return Settled(Outcome.FAILED, f"operation {name}", error)
    return Settled(Outcome.DONE, f"operation {name}")


@dataclass(frozen=True)
class ComputeOperation:
    """A Compute Engine zone or region operation, read until ``DONE`` or the deadline."""

    connection: GcpConnection
    operation: Any

    def settle(self, deadline: Deadline) -> Settled:
        from google.cloud import compute_v1

        operation, finished = deadline.wait(
            self.operation,
            self._read,
            lambda op: bool(op.status == compute_v1.Operation.Status.DONE),
        )
        errors = list(operation.error.errors) if finished and operation.error else []
        text = "; ".join(f"{e.code}: {e.message}" for e in errors)
        return _settled(finished, operation.name, text)

    def _read(self, operation: Any) -> Any:
        project = operation.self_link.split("/projects/", 1)[1].split("/", 1)[0]
        if operation.zone:
            client = self.connection.compute("ZoneOperationsClient")
            return client.get(project=project, zone=_last(operation.zone), operation=operation.name)
        client = self.connection.compute("RegionOperationsClient")
        return client.get(project=project, region=_last(operation.region), operation=operation.name)


@dataclass(frozen=True)
class LongRunning:
    """A ``google.longrunning.Operation`` at ``{base}/{name}``, read until done."""

    connection: GcpConnection
    base: str
    operation: rest.Json

    def settle(self, deadline: Deadline) -> Settled:
        return self.settle_with_response(deadline)[0]

    def settle_with_response(self, deadline: Deadline) -> tuple[Settled, rest.Json]:
        """As ``settle``, and the operation's ``response`` once done without error (what
        the service made, e.g. the ``DeployedModel`` with the id it assigned)."""
        session = self.connection.session()
        name = str(self.operation.get("name", ""))
        operation, finished = deadline.wait(
            self.operation,
            lambda _op: rest.call(session, "GET", f"{self.base}/{name}"),
            lambda op: bool(op.get("done")),
        )
        error = operation.get("error") if finished else None
        text = f"{error.get('code', '')} {error.get('message', '')}".strip() if error else ""
        response = operation.get("response", {}) if finished and not error else {}
        return _settled(finished, name, text), response


def _last(url: str) -> str:
    return url.rsplit("/", 1)[-1]
