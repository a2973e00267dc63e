"""A small stateful Azure Resource Manager fake over HTTPS on loopback.

No emulator exists for ARM, so this answers the documented REST shapes the management
SDKs use, for the API versions in ``model.API_VERSIONS`` only (any other: 400
``InvalidApiVersionParameter``): lists with ``nextLink`` paging, long-running operations as
``202`` + ``Azure-AsyncOperation`` + ``Location`` with an async-status resource that says
``InProgress`` and then ``Succeeded`` (or ``Failed``), and ARM's ``{"error": {...}}`` bodies.
State lives in memory so tests assert the final state.

It is also the Microsoft Entra ID authority of its tenant: ``/{tenant}/v2.0/.well-known/
openid-configuration`` and the ``client_credentials`` token endpoint, so the real
``azure.identity`` credentials get their tokens here; every ARM request needs one of those
bearer tokens (else 401 ``AuthenticationFailed``). It serves TLS with a self-signed
loopback certificate because Entra ID authorities must be https (azure-identity and MSAL
refuse any other scheme) and ARM's bearer-token policy refuses plain HTTP.
``credential_env()`` is the environment that points ``DefaultAzureCredential`` and the
HTTP clients' trust store (``REQUESTS_CA_BUNDLE``) here.

    with start_azure_fake() as fake:
        fake.add_vm("sub-1", "rg", "dev-1", "Standard_D2s_v5", "westeurope", {"schedule": "x"})
        os.environ.update(fake.credential_env(tmp_dir))
        connection = connect(ProviderConfig(endpoint_url=fake.url))
"""

from __future__ import annotations

import json
import re
import shutil
import ssl
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qsl, unquote, urlsplit

from sandbox import credentials
from sandbox.azure_fake import (
    routes_aks,
    routes_arm,
    routes_compute,
    routes_groups,
    routes_insights,
    routes_metrics,
    routes_ml,
    routes_tags,
)
from sandbox.azure_fake.model import (
    API_VERSIONS,
    FakeAgentPool,
    FakeAutoscaleSetting,
    FakeCluster,
    FakeMlCompute,
    FakeResourceGroup,
    FakeScaleSet,
    FakeVm,
    FakeWorkspace,
    iso,
)
from sandbox.azure_fake.wire import FakeError, Json, Request, Response, Route
from sandbox.loopback_http import LoopbackHttp, QuietHandler, ServedFake

ROUTES: list[Route] = [
    *routes_arm.ROUTES,
    *routes_groups.ROUTES,
    *routes_compute.ROUTES,
    *routes_ml.ROUTES,
    *routes_aks.ROUTES,
    *routes_tags.ROUTES,
    *routes_insights.ROUTES,
    *routes_metrics.ROUTES,
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

TENANT = "0ff0c0de-0000-4000-8000-00000000a2e1"
CLIENT_ID = "0ff0c0de-0000-4000-8000-0000000c11e1"
CLIENT_SECRET = "offhours-local-secret"  # a fake's secret, valid nowhere else
VAULT_SCOPE = f"{routes_tags.VAULT_RESOURCE}/.default"
# Tokens for Blob Storage are issued too (the fake serves no blobs: Azurite does).
STORAGE_SCOPE = "https://storage.azure.com/.default"
METRICS_SCOPE = "https://metrics.monitor.azure.com/.default"
_ENTRA = re.compile(
    r"/(?P<tenant>[^/]+)/(?:v2\.0/\.well-known/openid-configuration|oauth2/v2\.0/token)"
)
# How long clients should wait between polls (ARM sends Retry-After; the fake answers at
# once). ``Retry-After: 0`` would not do: azure-core reads 0 as "no hint".
_RETRY_HINT = {"Retry-After-Ms": "1"}


@dataclass
class Fault:
    status: int
    code: str
    message: str
    asynchronous: bool
    hold: bool = False


@dataclass
class RequestFault:
    """Answer the next ``times`` requests whose path contains ``path_part`` with an error."""

    path_part: str
    method: str
    status: int
    code: str
    message: str
    times: int
    retry_after_ms: str = ""

    def take(self, method: str, path: str) -> bool:
        if self.times <= 0 or self.path_part.lower() not in path.lower():
            return False
        if self.method and self.method != method:
            return False
        self.times -= 1
        return True


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
    held: bool = False
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
        self.resource_groups: dict[str, FakeResourceGroup] = {}
        self.vms: dict[str, FakeVm] = {}
        # Azure Monitor ``Percentage CPU`` per VM (routes_metrics.put_cpu).
        self.vm_cpu: dict[str, list[tuple[datetime, float]]] = {}
        # Azure ML workspace metrics: (workspace id, metric) -> (compute, device, minute,
        # percent) rows (ml_metrics.put_ml_utilisation).
        self.ml_metrics: dict[tuple[str, str], list[tuple[str, str, datetime, float]]] = {}
        self.scale_sets: dict[str, FakeScaleSet] = {}
        self.workspaces: dict[str, FakeWorkspace] = {}
        self.ml_computes: dict[str, FakeMlCompute] = {}
        self.clusters: dict[str, FakeCluster] = {}
        self.autoscale_settings: dict[str, FakeAutoscaleSetting] = {}
        # Key Vault secrets: (vault, name) lowercased -> versions, oldest first.
        self.secrets: dict[tuple[str, str], list[str]] = {}
        self.operations: dict[str, Operation] = {}
        # (method, path) of every request served, in order: the permission test reads it.
        self.requests: list[tuple[str, str]] = []
        # (resource provider namespace, api-version) pairs the clients sent.
        self.api_versions: set[tuple[str, str]] = set()
        # Changes in the order they were accepted: ("tags" | "capacity" | ..., id, value).
        self.events: list[tuple[str, str, Any]] = []
        self._faults: dict[tuple[str, str], Fault] = {}
        self._denied: set[str] = set()
        self._request_faults: list[RequestFault] = []
        # (method, lowercased path) -> a published example body answered instead of the
        # fake's own state (api-version still checked): ``replay``.
        self._replays: dict[tuple[str, str], Json] = {}
        self.tokens = credentials.Tokens()
        self.url = ""
        self._files = Path(tempfile.mkdtemp(prefix="offhours-azure-fake-"))
        # The certificate clients must trust (it signs itself).
        self.ca_file = self._files / "loopback-ca.pem"

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> AzureFake:
        certificate, key = credentials.loopback_certificate()
        self.ca_file.write_bytes(certificate)
        key_file = self._files / "loopback-key.pem"
        key_file.write_bytes(key)
        key_file.chmod(0o600)
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(self.ca_file, key_file)
        self._http = LoopbackHttp(
            ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self)), "azure-fake", tls
        )
        self.url = self._http.url
        return self

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self._files, ignore_errors=True)

    def credential_env(self) -> dict[str, str]:
        """What points ``DefaultAzureCredential`` (its environment credential: a client
        secret) at this fake's tenant, and the HTTP clients' trust store at its certificate."""
        return {
            "AZURE_TENANT_ID": TENANT,
            "AZURE_CLIENT_ID": CLIENT_ID,
            "AZURE_CLIENT_SECRET": CLIENT_SECRET,
            "AZURE_AUTHORITY_HOST": self.url,
            "REQUESTS_CA_BUNDLE": str(self.ca_file),
        }

    # -- seeding -----------------------------------------------------------------------

    def add_subscription(self, subscription: str, name: str = "") -> None:
        with self.lock:
            self.subscriptions.setdefault(subscription, name or f"subscription {subscription}")

    def add_resource_group(
        self,
        subscription: str,
        name: str,
        location: str = "westeurope",
        tags: dict[str, str] | None = None,
    ) -> FakeResourceGroup:
        """A resource group with tags (groups that only hold resources are listed untagged)."""
        group = FakeResourceGroup(subscription, name, location, dict(tags or {}))
        return self._add(self.resource_groups, group.id, group, subscription)

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
        ephemeral_placement: str = "",
    ) -> FakeVm:
        """``started_at``: when the VM's last operation finished (default: now);
        ``ephemeral_placement``: an ephemeral OS disk's placement (``CacheDisk``, ...)."""
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
            ephemeral_placement=ephemeral_placement,
            provisioning_time=started_at or self.clock(),
        )
        return self._add(self.vms, vm.id, vm, subscription)

    def add_secret(self, vault: str, name: str, value: str) -> None:
        """A new version of a Key Vault secret; its vault URL is ``{url}/vaults/{vault}``."""
        with self.lock:
            self.secrets.setdefault((vault.lower(), name.lower()), []).append(value)

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

    def add_autoscale_setting(
        self, target: FakeScaleSet, name: str, minimum: int, maximum: int, enabled: bool = True
    ) -> FakeAutoscaleSetting:
        """An Azure Monitor autoscale setting on ``target`` (same resource group)."""
        setting = FakeAutoscaleSetting(
            target.subscription,
            target.resource_group,
            name,
            target.location,
            target.id,
            minimum,
            maximum,
            enabled,
        )
        return self._add(self.autoscale_settings, setting.id, setting, target.subscription)

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
        node_provisioning: str = "Manual",
    ) -> FakeCluster:
        if pools is None:
            pools = [
                FakeAgentPool("system", 1, "Standard_D2s_v5", mode="System"),
                FakeAgentPool("user", 2, "Standard_D4s_v5"),
            ]
        by_name = {p.name: p for p in pools}
        cluster = FakeCluster(
            subscription,
            resource_group,
            name,
            location,
            dict(tags or {}),
            by_name,
            power_state,
            node_provisioning=node_provisioning,
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

    def hold_action(self, name: str, action: str) -> None:
        """The next ``action`` on resource ``name`` is accepted (202) and its operation
        stays ``InProgress`` until ``settle()``."""
        with self.lock:
            self._faults[(name.lower(), action.lower())] = Fault(202, "", "", True, hold=True)

    def fail_requests(
        self,
        path_part: str,
        status: int = 503,
        code: str = "ServiceUnavailable",
        message: str = "The service is temporarily unavailable (injected fault).",
        *,
        method: str = "",
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` authenticated requests whose path contains
        ``path_part`` (any method, or ``method``) with ``status`` and ARM's error body; a 429
        carries ARM's ``Retry-After`` hint, as the throttling answer does."""
        fault = RequestFault(path_part, method, status, code, message, times)
        if status == 429:
            fault.retry_after_ms = _RETRY_HINT["Retry-After-Ms"]
        with self.lock:
            self._request_faults.append(fault)

    def replay(self, method: str, path: str, body: Json) -> None:
        """Answer ``method path`` (any query) with ``body``: a response from the published
        ``x-ms-examples``, so the real clients and the adapters parse Azure's own shapes."""
        with self.lock:
            self._replays[(method, path.rstrip("/").lower())] = body

    def clear_faults(self) -> None:
        with self.lock:
            self._faults.clear()
            self._denied.clear()
            self._request_faults.clear()

    def deny_subscription(self, subscription: str) -> None:
        """Every request under ``/subscriptions/<id>`` answers 403 AuthorizationFailed."""
        with self.lock:
            self._denied.add(subscription.lower())

    # -- operations (used by the route modules) ----------------------------------------

    def check_fault(self, name: str, action: str) -> Fault | None:
        fault = self._faults.get((name.lower(), action.lower()))
        if fault and fault.hold:
            del self._faults[(name.lower(), action.lower())]  # holds one operation
        elif fault and not fault.asynchronous:
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
        if fault and fault.hold:
            op.held = True
        elif fault:
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
            **_RETRY_HINT,
        }

    def accepted(self, req: Request, op: Operation) -> Response:
        return Response(202, None, self.operation_headers(req, op))

    def poll(self, op_id: str) -> Operation:
        op = self.operations.get(op_id)
        if op is None:
            raise FakeError(404, "OperationNotFound", f"Operation '{op_id}' was not found.")
        if op.status == "InProgress" and not op.held:
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
                    op.held = False
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

    def handle(
        self,
        method: str,
        target: str,
        raw_body: bytes,
        base: str,
        authorization: str | None = None,
    ) -> Response:
        parts = urlsplit(target)
        path = unquote(parts.path).rstrip("/") or "/"
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        entra = _ENTRA.fullmatch(path)
        if entra:
            return self._entra(method, path, entra.group("tenant"), raw_body)
        with self.lock:
            self.requests.append((method, path))
            try:
                vault = routes_tags.VAULT.fullmatch(path)
                if vault and method == "GET":
                    if not self.tokens.valid(authorization):
                        raise routes_tags.vault_challenge(TENANT)
                    return routes_tags.get_secret(self, *vault.group("vault", "name", "version"))
                if not self.tokens.valid(authorization):
                    raise _unauthenticated(authorization)
                self._injected(method, path)
                return self._dispatch(method, path, query, raw_body, base)
            except FakeError as err:
                return Response(err.status, err.body(), err.headers)

    def _injected(self, method: str, path: str) -> None:
        for fault in self._request_faults:
            if fault.take(method, path):
                err = FakeError(fault.status, fault.code, fault.message)
                if fault.retry_after_ms:
                    err.headers["Retry-After-Ms"] = fault.retry_after_ms
                raise err

    # -- Microsoft Entra ID ------------------------------------------------------------

    def _entra(self, method: str, path: str, tenant: str, raw_body: bytes) -> Response:
        """OpenID configuration and the client-credentials token endpoint of ``TENANT``
        (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow)."""
        if tenant != TENANT:
            return Response(400, _oauth_error("invalid_tenant", f"Tenant '{tenant}' not found."))
        root = f"{self.url}/{tenant}"
        if path.endswith("openid-configuration") and method == "GET":
            return Response(
                200,
                {
                    "issuer": f"{root}/v2.0",
                    "authorization_endpoint": f"{root}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{root}/oauth2/v2.0/token",
                    "jwks_uri": f"{root}/discovery/v2.0/keys",
                    "response_types_supported": ["code", "id_token", "token id_token"],
                    "subject_types_supported": ["pairwise"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "tenant_region_scope": "EU",
                },
            )
        form = dict(parse_qsl(raw_body.decode()))
        if method != "POST" or form.get("grant_type") != "client_credentials":
            return Response(400, _oauth_error("unsupported_grant_type", "Use client_credentials."))
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return Response(401, _oauth_error("invalid_client", "Invalid client secret provided."))
        scopes = form.get("scope", "").split()
        known = {"https://management.azure.com/.default", VAULT_SCOPE, STORAGE_SCOPE, METRICS_SCOPE}
        if not known & set(scopes):
            return Response(400, _oauth_error("invalid_scope", "The scope is not valid here."))
        token = self.tokens.issue()
        return Response(
            200,
            {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": token,
            },
        )

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
        namespace, version = _namespace(path), query["api-version"]
        self.api_versions.add((namespace, version))
        served = {**API_VERSIONS, **routes_tags.API_VERSIONS, **routes_groups.API_VERSIONS}
        served["Microsoft.Insights/metrics"] = routes_metrics.API_VERSION
        if served.get(namespace) != version:
            raise FakeError(
                400,
                "InvalidApiVersionParameter",
                f"The api-version '{version}' is invalid. The supported versions are "
                f"'{served.get(namespace, '')}'.",
            )
        try:
            body = json.loads(raw_body) if raw_body else {}
        except ValueError as err:
            raise FakeError(400, "InvalidRequestContent", f"Invalid JSON: {err}") from err
        replayed = self._replays.get((method, path.lower()))
        if replayed is not None:
            return Response(200, json.loads(json.dumps(replayed)))
        for candidate in ROUTES:
            match = candidate.pattern.match(path)
            if match and candidate.method == method:
                req = Request(method, path, query, body, base, match.groupdict())
                return candidate.handler(self, req)
        raise FakeError(404, "NotFound", f"No fake route for {method} {path}.")


def _unauthenticated(authorization: str | None) -> FakeError:
    missing = not authorization
    message = (
        "Authentication failed. The 'Authorization' header is missing."
        if missing
        else "Authentication failed. The access token is not valid."
    )
    challenge = (
        f'Bearer authorization_uri="https://login.microsoftonline.com/{TENANT}", '
        f'error="invalid_token", error_description="{message}"'
    )
    error = FakeError(401, "AuthenticationFailed", message)
    error.headers["WWW-Authenticate"] = challenge
    return error


def _oauth_error(error: str, description: str) -> Json:
    return {"error": error, "error_description": description, "error_codes": [7000215]}


def _namespace(path: str) -> str:
    if path.lower().endswith("/metrics:getbatch"):
        return "Microsoft.Insights/metrics"  # the regional metrics host's batch API
    if "/providers/microsoft.resources/tags/" in path.lower():
        return "Microsoft.Resources/tags"  # an extension resource at another's scope
    if path.lower().rstrip("/").endswith("/resourcegroups"):
        return "Microsoft.Resources/resourceGroups"
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
            response = fake.handle(
                self.command, self.path, raw, fake.url, self.headers.get("Authorization")
            )
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
