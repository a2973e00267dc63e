"""The HTTP side of the fake: a ThreadingHTTPServer on 127.0.0.1 and an ephemeral port.

One server answers every API as a forwarding endpoint does: a request for
``https://HOST/PATH`` arrives as ``{fake}/HOST/PATH`` (``ProviderConfig.endpoint_url``).
Inside, each service has its own route prefix, and the request log keeps those paths:

=======================================  ============================
host                                     route prefix (request log)
=======================================  ============================
``compute.googleapis.com``               ``/compute/v1`` (in PATH)
``notebooks.googleapis.com``             ``/notebooks/v2``
``{region}-aiplatform.googleapis.com``   ``/aiplatform/v1``
``monitoring.googleapis.com``            ``/monitoring/v3``
``cloudresourcemanager.googleapis.com``  ``/cloudresourcemanager/v3``
``secretmanager.googleapis.com``         ``/secretmanager/v1``
=======================================  ============================

A regional Vertex AI host answers only for its own region, as the real one does.

Every API request needs ``Authorization: Bearer`` with a token the fake issued at
``POST {fake}/token`` (the ``token_uri`` of ``service_account_info()``: the real
``google.oauth2.service_account.Credentials`` trade a signed JWT there) or a self-signed
JWT of that service account (what the client libraries send); else 401 UNAUTHENTICATED.

Requests are handled one at a time under the world's lock (the clients still send them
concurrently). Every request is logged as ``(method, path)`` for the permission tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sandbox import credentials
from sandbox.gcp_fake import compute, contract, labels_secrets, rest_apis
from sandbox.gcp_fake.world import ApiError, Fault, Json, OperationFault, World
from sandbox.loopback_http import LoopbackHttp, QuietHandler, ServedFake

Handler = Callable[[World, dict[str, str], dict[str, str], Json], Json]
_ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    (method, re.compile(pattern + r"$"), handler)
    for method, pattern, handler in [*compute.ROUTES, *rest_apis.ROUTES, *labels_secrets.ROUTES]
]


def route_names() -> list[str]:
    """Every handler the fake serves, as ``module.function`` (for the permission tests)."""
    return sorted({f"{h.__module__.rsplit('.', 1)[1]}.{h.__name__}" for _, _, h in _ROUTES})


def route_for(method: str, path: str) -> str | None:
    """The name of the fake's handler for a request (used by the permission tests)."""
    for route_method, pattern, handler in _ROUTES:
        if route_method == method and pattern.match(path):
            return f"{handler.__module__.rsplit('.', 1)[1]}.{handler.__name__}"
    return None


SERVICE_ACCOUNT = "offhours@offhours-local.iam.gserviceaccount.com"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"


class TokenError(Exception):
    """An OAuth 2.0 token endpoint error: ``{"error": ..., "error_description": ...}``."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.body = json.dumps({"error": error, "error_description": description}).encode()


_PREFIX = {
    "compute.googleapis.com": "",
    "notebooks.googleapis.com": "/notebooks",
    "monitoring.googleapis.com": "/monitoring",
    "cloudresourcemanager.googleapis.com": "/cloudresourcemanager",
    "secretmanager.googleapis.com": "/secretmanager",
}
_REGIONAL = re.compile(r"(?P<region>[a-z]+-[a-z]+\d+)-aiplatform\.googleapis\.com")


def route_path(path: str) -> str:
    """``/HOST/PATH`` as the fake's route path; a regional host must match the location."""
    host, _, rest = path.lstrip("/").partition("/")
    if host in _PREFIX:
        return f"{_PREFIX[host]}/{rest}"
    regional = _REGIONAL.fullmatch(host)
    if regional is None:
        raise ApiError(404, f"The fake serves no host {host!r}")
    location = re.search(r"/locations/([^/:]+)", "/" + rest)
    if location and location.group(1) != regional.group("region"):
        raise ApiError(
            400,
            f"Location {location.group(1)} is not served by {host}: "
            f"use {location.group(1)}-aiplatform.googleapis.com.",
        )
    return f"/aiplatform/{rest}"


def _error_body(err: ApiError) -> bytes:
    return json.dumps(
        {
            "error": {
                "code": err.code,
                "message": err.message,
                "status": err.status,
                "errors": [{"message": err.message, "domain": "global", "reason": err.status}],
            }
        }
    ).encode()


class _RequestHandler(QuietHandler):
    server: _Server

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        world = self.server.world
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        kind = "application/json"
        try:
            if url.path == "/token" and method == "POST":
                status, payload = 200, self.server.token(raw)
            else:
                path = route_path(url.path)
                with world.lock:
                    world.log.append((method, path))
                self._authenticate()
                status, payload = 200, self._dispatch(world, method, path, url.query, raw)
        except ApiError as err:
            status, payload = err.code, _error_body(err)
            if err.html:
                kind, payload = "text/html", f"<html><body>{err.message}</body></html>".encode()
        except TokenError as err:
            status, payload = 400, err.body
        self.send_response(status)
        self.send_header("Content-Type", f"{kind}; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _authenticate(self) -> None:
        if not self.server.tokens.valid(self.headers.get("Authorization"), accept_jwt=True):
            raise ApiError(
                401,
                "Request is missing required authentication credential. Expected OAuth 2 "
                "access token, login cookie or other valid authentication credential.",
                "UNAUTHENTICATED",
            )

    def _dispatch(self, world: World, method: str, path: str, query: str, raw: bytes) -> bytes:
        fault = world.fault_for(method, path)
        if fault:
            raise ApiError(fault.code, fault.message, html=fault.html)
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            raise ApiError(400, "Invalid JSON payload received.") from None
        params = dict(parse_qsl(query, keep_blank_values=True))
        if world.validate:
            contract.check(method, path, params, body)
        for route_method, pattern, handler in _ROUTES:
            match = pattern.match(path)
            if match and route_method == method:
                with world.lock:
                    return json.dumps(handler(world, match.groupdict(), params, body)).encode()
        raise ApiError(404, f"The fake does not serve {method} {path}")


class _Server(ThreadingHTTPServer):
    def __init__(self, world: World) -> None:
        super().__init__(("127.0.0.1", 0), _RequestHandler)
        self.world = world
        self.tokens = credentials.Tokens()
        self.token_uri = ""

    def token(self, raw: bytes) -> bytes:
        """OAuth 2.0 JWT bearer grant: a signed assertion of the service account for
        an access token (https://developers.google.com/identity/protocols/oauth2/service-account)."""
        form = dict(parse_qsl(raw.decode()))
        claims = credentials.verify_jwt(form.get("assertion", ""))
        if form.get("grant_type") != JWT_BEARER or claims is None:
            raise TokenError("invalid_grant", "Invalid JWT Signature.")
        # google-auth signs for Google's token audience whatever the key's token_uri says.
        if claims.get("aud") not in (self.token_uri, GOOGLE_TOKEN_AUDIENCE):
            raise TokenError("invalid_grant", f"Invalid JWT: audience {claims.get('aud')!r}.")
        if claims.get("iss") != SERVICE_ACCOUNT:
            raise TokenError("invalid_grant", "Invalid JWT: unknown issuer.")
        answer = {"access_token": self.tokens.issue(), "expires_in": 3599, "token_type": "Bearer"}
        return json.dumps(answer).encode()


class GcpFake(ServedFake):
    """A running fake: seed it, point clients at ``url``, read state back, inject faults."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.world = World(clock or (lambda: datetime.now(UTC)))
        server = _Server(self.world)
        self._http = LoopbackHttp(server, "gcp-fake")
        self.url = self._http.url
        server.token_uri = f"{self.url}/token"

    # ---- credentials ----------------------------------------------------------------------
    def service_account_info(self, project: str = "offhours-local") -> Json:
        """A service-account key whose ``token_uri`` is this fake (the key is generated)."""
        return {
            "type": "service_account",
            "project_id": project,
            "private_key_id": "0f0f0f0f",
            "private_key": credentials.private_pem(),
            "client_email": SERVICE_ACCOUNT,
            "client_id": "100000000000000000001",
            "token_uri": f"{self.url}/token",
        }

    def credential_env(self, directory: Path, project: str = "offhours-local") -> dict[str, str]:
        """Write the key file under ``directory``; the environment that points Application
        Default Credentials at it (``GOOGLE_APPLICATION_CREDENTIALS``)."""
        path = Path(directory) / "gcp-fake-service-account.json"
        path.write_text(json.dumps(self.service_account_info(project)))
        path.chmod(0o600)
        return {"GOOGLE_APPLICATION_CREDENTIALS": str(path)}

    # ---- seeding --------------------------------------------------------------------------
    def add_project(
        self, project: str, parent: str = "", labels: dict[str, str] | None = None
    ) -> None:
        """A project; ``parent`` (``folders/1``, ``organizations/2``) for Resource Manager;
        ``labels`` as ``projects.get`` answers them (a schedule label schedules its VMs)."""
        found = self.world.project(project, parent)
        if labels is not None:
            with self.world.lock:
                found["labels"] = dict(labels)

    def add_folder(self, folder: str, parent: str) -> None:
        with self.world.lock:
            self.world.folders[folder] = parent

    def add_secret(self, project: str, secret: str, data: bytes) -> None:
        """A new version of a Secret Manager secret (``latest`` reads the newest)."""
        with self.world.lock:
            self.world.secrets.setdefault((project, secret), []).append(data)

    def add_instance(
        self,
        project: str,
        zone: str,
        name: str,
        machine_type: str,
        labels: Mapping[str, str] | None = None,
        status: str = "RUNNING",
        **extra: Any,
    ) -> Json:
        """A VM; ``extra``: ``gpus=("nvidia-l4", 1)``, ``metadata={...}``, ``started=datetime``,
        ``local_ssds=2`` (Local SSD disks attached), ``resource_policies=("nightly",)``."""
        return self.world.add_instance(project, zone, name, machine_type, labels, status, **extra)

    def add_resource_policy(
        self, project: str, region: str, name: str, *, instance_schedule: bool = True
    ) -> Json:
        """A resource policy VMs name in ``add_instance(resource_policies=(name,))``: an
        instance schedule, or (``instance_schedule=False``) a snapshot schedule."""
        return self.world.add_resource_policy(project, region, name, instance_schedule)

    def add_template(
        self,
        project: str,
        name: str,
        machine_type: str,
        labels: Mapping[str, str] | None = None,
        region: str = "",
    ) -> Json:
        """An instance template (regional when ``region`` is given) with ``properties.labels``."""
        return self.world.add_template(project, name, machine_type, labels, region)

    def add_mig(
        self,
        project: str,
        location: str,
        name: str,
        template: str,
        size: int,
        *,
        autoscaled: bool = False,
        stateful_disk: str = "",
    ) -> Json:
        """A managed instance group in a zone (or a region: ``us-central1``) of ``template``;
        ``stateful_disk``: a disk its stateful policy preserves."""
        return self.world.add_mig(
            project,
            location,
            name,
            template,
            size,
            autoscaled=autoscaled,
            stateful_disk=stateful_disk,
        )

    def hold_members(self, name: str) -> None:
        """The next resize of group ``name`` schedules its member actions and carries them
        out only at ``settle()`` (the resize operation itself is DONE)."""
        with self.world.lock:
            self.world.member_holds.add(name)

    def add_workbench(
        self,
        project: str,
        zone: str,
        name: str,
        machine_type: str,
        labels: Mapping[str, str] | None = None,
        state: str = "ACTIVE",
        **extra: Any,
    ) -> Json:
        return self.world.add_workbench(project, zone, name, machine_type, labels, state, **extra)

    def add_endpoint(
        self,
        project: str,
        region: str,
        endpoint_id: str,
        display_name: str,
        labels: Mapping[str, str] | None = None,
        deployed_models: list[Json] | None = None,
        traffic_split: Mapping[str, int] | None = None,
    ) -> Json:
        return self.world.add_endpoint(
            project, region, endpoint_id, display_name, labels, deployed_models, traffic_split
        )

    def set_prediction_count(
        self, project: str, endpoint_id: str, count: int, at: datetime | None = None
    ) -> None:
        """Online predictions served by an endpoint: a point at ``at``, or (``at=None``) a
        steady count that every query window sees."""
        rest_apis.set_predictions(self.world, project, endpoint_id, count, at)

    # ---- faults ---------------------------------------------------------------------------
    def fail(
        self,
        path_part: str,
        code: int = 500,
        message: str = "Internal error. Please try again or contact Google Support.",
        *,
        method: str = "",
        times: int | None = None,
        after: int = 0,
        html: bool = False,
    ) -> None:
        """Answer requests whose path contains ``path_part`` with ``code``: ``times`` times
        (None: always), once ``after`` matching requests have gone through; ``html``: as
        the HTML page a load balancer or proxy in front of the API answers."""
        with self.world.lock:
            fault = Fault(path_part, code, message, method, times, after, html)
            self.world.faults.append(fault)

    def fail_operation(
        self,
        resource: str,
        verb: str,
        message: str = "The operation failed after it was accepted (injected fault).",
        code: str = "RESOURCE_OPERATION_FAILED",
    ) -> None:
        """The next ``verb`` (``stop``, ``resize``, ``undeployModel``, ...) on ``resource``
        (an instance, group or Workbench name, an endpoint id) is accepted, then its
        operation ends ``DONE`` with ``error`` and the resource keeps its old state."""
        with self.world.lock:
            self.world.operation_faults[(resource, verb)] = OperationFault(code, message)

    def hold_operation(self, resource: str, verb: str) -> None:
        """The next ``verb`` on ``resource`` is accepted and stays ``RUNNING`` until
        ``settle()``."""
        with self.world.lock:
            self.world.operation_faults[(resource, verb)] = OperationFault(hold=True)

    def settle(self) -> None:
        """Finish every operation still under way, as if enough time went by."""
        self.world.settle()

    def deny_project(self, project: str, code: int = 403) -> None:
        self.fail(
            f"/projects/{project}/",
            code,
            f"Required permission denied on project {project} (or it may not exist).",
        )

    # ---- state readers ----------------------------------------------------------------------
    def instance(self, project: str, zone: str, name: str) -> Json:
        with self.world.lock:
            return json.loads(json.dumps(self.world.get_instance(project, zone, name)))

    def instances(self, project: str) -> list[Json]:
        with self.world.lock:
            return [
                json.loads(json.dumps(v))
                for k, v in self.world.instances.items()
                if k[0] == project
            ]

    def mig(self, project: str, location: str, name: str) -> Json:
        scope = f"regions/{location}" if location.count("-") == 1 else f"zones/{location}"
        with self.world.lock:
            return json.loads(json.dumps(self.world.migs[(project, scope, name)]))

    def workbench(self, project: str, zone: str, name: str) -> Json:
        with self.world.lock:
            item = self.world.workbench[f"projects/{project}/locations/{zone}/instances/{name}"]
            return json.loads(json.dumps(item))

    def endpoint(self, project: str, region: str, endpoint_id: str) -> Json:
        with self.world.lock:
            item = self.world.endpoints[
                f"projects/{project}/locations/{region}/endpoints/{endpoint_id}"
            ]
            return json.loads(json.dumps(item))

    @property
    def requests(self) -> list[tuple[str, str]]:
        """Every ``(method, path)`` served so far, in order."""
        with self.world.lock:
            return list(self.world.log)

    def clear_requests(self) -> None:
        with self.world.lock:
            self.world.log.clear()


def start_gcp_fake(clock: Callable[[], datetime] | None = None) -> GcpFake:
    """Start a fake on an ephemeral port; use as a context manager or call ``stop()``."""
    return GcpFake(clock)
