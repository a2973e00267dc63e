"""A small stateful Azure Resource Manager fake over HTTP (stdlib only).

No emulator exists for ARM, so this answers the documented REST shapes the management
SDKs use, for the API versions in ``model.API_VERSIONS``: lists with ``nextLink`` paging,
long-running operations as ``202`` + ``Azure-AsyncOperation`` + ``Location`` with an
async-status resource that turns ``Succeeded`` (or ``Failed``) after a poll, and ARM's
``{"error": {...}}`` bodies. State lives in memory so tests assert the final state.

    with start_azure_fake() as fake:
        fake.add_vm("sub-1", "rg", "dev-1", "Standard_D2s_v5", "westeurope", {"schedule": "x"})
        client = ComputeManagementClient(cred, "sub-1", base_url=fake.url, ...)
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

from sandbox.azure_fake import routes_aks, routes_arm, routes_compute, routes_ml
from sandbox.azure_fake.model import (
    FakeAgentPool,
    FakeCluster,
    FakeMlCompute,
    FakeScaleSet,
    FakeVm,
    FakeWorkspace,
    iso,
)
from sandbox.azure_fake.wire import FakeError, Json, Request, Response, Route
from sandbox.loopback_http import LoopbackHttp, QuietHandler, ServedFake

ROUTES: list[Route] = [
    *routes_arm.ROUTES,
    *routes_compute.ROUTES,
    *routes_ml.ROUTES,
    *routes_aks.ROUTES,
]

# Where each resource provider's async-operation status and result resources live.
_STATUS_COLLECTION = {
    "Microsoft.Compute": "operations",
    "Microsoft.ContainerService": "operations",
    "Microsoft.MachineLearningServices": "computeOperationsStatus",
}
_RESULT_COLLECTION = {
    "Microsoft.Compute": "operations",  # with ?monitor=true
    "Microsoft.ContainerService": "operationresults",
    "Microsoft.MachineLearningServices": "computeOperationsStatus",  # with ?monitor=true
}

T = TypeVar("T")


@dataclass
class Fault:
    status: int
    code: str
    message: str
    asynchronous: bool


@dataclass
class Operation:
    id: str
    namespace: str
    subscription: str
    location: str
    complete: Callable[[], None]
    polls_left: int
    revert: Callable[[], None] | None = None
    error: Json | None = None
    status: str = "InProgress"
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    ended: datetime | None = None

    def render(self) -> Json:
        body: Json = {"name": self.id, "status": self.status, "startTime": iso(self.started)}
        if self.ended:
            body["endTime"] = iso(self.ended)
        if self.status == "Failed" and self.error:
            body["error"] = self.error
        return body


class AzureFake(ServedFake):
    """The fake's state, seeding helpers, state readers, faults and the HTTP server."""

    def __init__(
        self,
        page_size: int = 50,
        lro_polls: int = 1,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.lock = threading.RLock()
        # The fake's notion of now (operation times, VM start times): the demo passes its
        # simulated clock so the timestamps agree with the planner's.
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.page_size = page_size
        # How many status polls an operation answers InProgress before it completes.
        self.lro_polls = lro_polls
        self.subscriptions: dict[str, str] = {}
        self.vms: dict[str, FakeVm] = {}
        self.scale_sets: dict[str, FakeScaleSet] = {}
        self.workspaces: dict[str, FakeWorkspace] = {}
        self.ml_computes: dict[str, FakeMlCompute] = {}
        self.clusters: dict[str, FakeCluster] = {}
        self.operations: dict[str, Operation] = {}
        # (method, path) of every request served, in order: the permission test reads it.
        self.requests: list[tuple[str, str]] = []
        # (resource provider namespace, api-version) pairs the clients sent.
        self.api_versions: set[tuple[str, str]] = set()
        # Changes in the order they were accepted: ("tags" | "capacity" | ..., id, value).
        self.events: list[tuple[str, str, Any]] = []
        self._faults: dict[tuple[str, str], Fault] = {}
        self._denied: set[str] = set()
        self.url = ""

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> AzureFake:
        self._http = LoopbackHttp(
            ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self)), "azure-fake"
        )
        self.url = self._http.url
        return self

    # -- seeding -----------------------------------------------------------------------

    def add_subscription(self, subscription: str, name: str = "") -> None:
        with self.lock:
            self.subscriptions.setdefault(subscription, name or f"subscription {subscription}")

    def add_vm(
        self,
        subscription: str,
        resource_group: str,
        name: str,
        size: str,
        location: str,
        tags: dict[str, str] | None = None,
        power_state: str = "running",
        hibernation_enabled: bool = False,
        scale_set_id: str = "",
        started_at: datetime | None = None,
    ) -> FakeVm:
        """``started_at``: when the VM's last operation finished (default: now)."""
        vm = FakeVm(
            subscription,
            resource_group,
            name,
            size,
            location,
            dict(tags or {}),
            power_state,
            hibernation_enabled,
            scale_set_id=scale_set_id,
            provisioning_time=started_at or self.clock(),
        )
        return self._add(self.vms, vm.id, vm, subscription)

    def add_scale_set(
        self,
        subscription: str,
        resource_group: str,
        name: str,
        size: str,
        location: str,
        tags: dict[str, str] | None = None,
        capacity: int = 2,
    ) -> FakeScaleSet:
        vmss = FakeScaleSet(
            subscription, resource_group, name, size, location, dict(tags or {}), capacity
        )
        return self._add(self.scale_sets, vmss.id, vmss, subscription)

    def add_ml_compute(
        self,
        subscription: str,
        resource_group: str,
        workspace: str,
        name: str,
        size: str,
        location: str,
        tags: dict[str, str] | None = None,
        state: str = "Running",
        workspace_tags: dict[str, str] | None = None,
        compute_type: str = "ComputeInstance",
    ) -> FakeMlCompute:
        ws = FakeWorkspace(subscription, resource_group, workspace, location, {})
        with self.lock:
            ws = self.workspaces.setdefault(ws.id.lower(), ws)
            ws.tags.update(workspace_tags or {})
        compute = FakeMlCompute(ws, name, size, dict(tags or {}), state, compute_type)
        return self._add(self.ml_computes, compute.id, compute, subscription)

    def add_aks(
        self,
        subscription: str,
        resource_group: str,
        name: str,
        location: str,
        tags: dict[str, str] | None = None,
        pools: Iterable[FakeAgentPool] | None = None,
        power_state: str = "Running",
    ) -> FakeCluster:
        if pools is None:
            pools = [
                FakeAgentPool("system", 1, "Standard_D2s_v5", mode="System"),
                FakeAgentPool("user", 2, "Standard_D4s_v5"),
            ]
        by_name = {p.name: p for p in pools}
        cluster = FakeCluster(
            subscription, resource_group, name, location, dict(tags or {}), by_name, power_state
        )
        return self._add(self.clusters, cluster.id, cluster, subscription)

    def _add(self, table: dict[str, T], resource_id: str, item: T, subscription: str) -> T:
        with self.lock:
            self.subscriptions.setdefault(subscription, f"subscription {subscription}")
            table[resource_id.lower()] = item
        return item

    # -- state readers -----------------------------------------------------------------

    def vm(self, name: str, subscription: str = "") -> FakeVm:
        return _one(self.vms.values(), name, subscription)

    def scale_set(self, name: str, subscription: str = "") -> FakeScaleSet:
        return _one(self.scale_sets.values(), name, subscription)

    def ml_compute(self, name: str, subscription: str = "") -> FakeMlCompute:
        computes = self.ml_computes.values()
        return _one(computes, name, subscription, lambda c: c.workspace.subscription)

    def aks(self, name: str, subscription: str = "") -> FakeCluster:
        return _one(self.clusters.values(), name, subscription)

    def clear_requests(self) -> None:
        with self.lock:
            self.requests.clear()
            self.events.clear()

    # -- faults ------------------------------------------------------------------------

    def fail_action(
        self,
        name: str,
        action: str,
        status: int = 409,
        code: str = "OperationNotAllowed",
        message: str = "",
        asynchronous: bool = False,
    ) -> None:
        """Make ``action`` (deallocate, start, stop, update, ...) on resource ``name`` fail.

        Synchronous faults answer the request itself with ``status``; asynchronous ones
        accept the request (202) and end the operation ``Failed``, reverting the state.
        """
        text = message or f"Operation '{action}' is not allowed on '{name}' (injected fault)."
        with self.lock:
            self._faults[(name.lower(), action.lower())] = Fault(status, code, text, asynchronous)

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()
            self._denied.clear()

    def deny_subscription(self, subscription: str) -> None:
        """Every request under ``/subscriptions/<id>`` answers 403 AuthorizationFailed."""
        with self.lock:
            self._denied.add(subscription.lower())

    # -- operations (used by the route modules) ----------------------------------------

    def check_fault(self, name: str, action: str) -> Fault | None:
        fault = self._faults.get((name.lower(), action.lower()))
        if fault and not fault.asynchronous:
            raise FakeError(fault.status, fault.code, fault.message)
        return fault

    def begin_operation(
        self,
        namespace: str,
        subscription: str,
        location: str,
        fault: Fault | None,
        complete: Callable[[], None],
        revert: Callable[[], None] | None = None,
    ) -> Operation:
        op = Operation(
            str(uuid.uuid4()),
            namespace,
            subscription,
            location.replace(" ", "").lower(),
            complete,
            self.lro_polls,
            started=self.clock(),
        )
        if fault:
            op.error = {"code": fault.code, "message": fault.message}
            op.revert = revert
        self.operations[op.id] = op
        return op

    def operation_headers(self, req: Request, op: Operation) -> dict[str, str]:
        base = f"/subscriptions/{op.subscription}/providers/{op.namespace}/locations/{op.location}"
        api = req.query.get("api-version", "")
        status = f"{base}/{_STATUS_COLLECTION[op.namespace]}/{op.id}"
        result = f"{base}/{_RESULT_COLLECTION[op.namespace]}/{op.id}"
        monitor = {"monitor": "true"} if status == result else {}
        return {
            "Azure-AsyncOperation": req.url(status, **{"api-version": api}),
            "Location": req.url(result, **monitor, **{"api-version": api}),
        }

    def accepted(self, req: Request, op: Operation) -> Response:
        return Response(202, None, self.operation_headers(req, op))

    def poll(self, op_id: str) -> Operation:
        op = self.operations.get(op_id)
        if op is None:
            raise FakeError(404, "OperationNotFound", f"Operation '{op_id}' was not found.")
        if op.status == "InProgress":
            if op.polls_left > 0:
                op.polls_left -= 1
            else:
                self._finish(op)
        return op

    def settle(self) -> None:
        """Finish every operation still in progress (as if enough time went by)."""
        with self.lock:
            for op in self.operations.values():
                if op.status == "InProgress":
                    self._finish(op)

    def _finish(self, op: Operation) -> None:
        op.ended = self.clock()
        if op.error is not None:
            op.status = "Failed"
            if op.revert:
                op.revert()
        else:
            op.status = "Succeeded"
            op.complete()

    # -- dispatch ----------------------------------------------------------------------

    def handle(self, method: str, target: str, raw_body: bytes, base: str) -> Response:
        parts = urlsplit(target)
        path = unquote(parts.path).rstrip("/") or "/"
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        with self.lock:
            self.requests.append((method, path))
            try:
                return self._dispatch(method, path, query, raw_body, base)
            except FakeError as err:
                return Response(err.status, err.body())

    def _dispatch(
        self, method: str, path: str, query: dict[str, str], raw_body: bytes, base: str
    ) -> Response:
        segments = path.split("/")
        if len(segments) > 2 and segments[2].lower() in self._denied:
            raise FakeError(
                403,
                "AuthorizationFailed",
                f"The client does not have authorization to perform the action over scope "
                f"'/subscriptions/{segments[2]}' or the scope is invalid.",
            )
        if "api-version" not in query:
            raise FakeError(400, "MissingApiVersionParameter", "The api-version is required.")
        self.api_versions.add((_namespace(path), query["api-version"]))
        try:
            body = json.loads(raw_body) if raw_body else {}
        except ValueError as err:
            raise FakeError(400, "InvalidRequestContent", f"Invalid JSON: {err}") from err
        for candidate in ROUTES:
            match = candidate.pattern.match(path)
            if match and candidate.method == method:
                req = Request(method, path, query, body, base, match.groupdict())
                return candidate.handler(self, req)
        raise FakeError(404, "NotFound", f"No fake route for {method} {path}.")


def _namespace(path: str) -> str:
    segments = path.split("/")
    for i, segment in enumerate(segments[:-1]):
        if segment.lower() == "providers":
            return segments[i + 1]
    return "Microsoft.Resources"


def _one(
    items: Iterable[T],
    name: str,
    subscription: str,
    sub_of: Callable[[Any], str] = lambda item: str(item.subscription),
) -> T:
    found = [
        item
        for item in items
        if str(getattr(item, "name", "")).lower() == name.lower()
        and (not subscription or sub_of(item) == subscription)
    ]
    if len(found) != 1:
        raise KeyError(f"{len(found)} fake resources named {name!r}")
    return found[0]


def _handler_for(fake: AzureFake) -> type[BaseHTTPRequestHandler]:
    class Handler(QuietHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            response = fake.handle(self.command, self.path, raw, fake.url)
            payload = b"" if response.body is None else json.dumps(response.body).encode()
            self.send_response(response.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("x-ms-request-id", f"fake-{len(fake.requests)}")
            for key, value in response.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    return Handler


def start_azure_fake(
    page_size: int = 50, lro_polls: int = 1, clock: Callable[[], datetime] | None = None
) -> AzureFake:
    """Start the fake on 127.0.0.1 and an ephemeral port; use it as a context manager."""
    return AzureFake(page_size=page_size, lro_polls=lro_polls, clock=clock).start()
