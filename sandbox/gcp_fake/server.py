"""The HTTP side of the fake: a ThreadingHTTPServer on 127.0.0.1 and an ephemeral port.

One server answers every API, each under its own path prefix:

==========================  ==============================================
fake path prefix            real service
==========================  ==============================================
``/compute/v1``             ``https://compute.googleapis.com/compute/v1``
``/notebooks/v2``           ``https://notebooks.googleapis.com/v2``
``/aiplatform/v1``          ``https://{region}-aiplatform.googleapis.com/v1``
``/monitoring/v3``          ``https://monitoring.googleapis.com/v3``
``/cloudresourcemanager/v3`` ``https://cloudresourcemanager.googleapis.com/v3``
==========================  ==============================================

Requests are handled one at a time under the world's lock (the clients still send them
concurrently). Every request is logged as ``(method, path)`` for the permission tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sandbox.gcp_fake import compute, rest_apis
from sandbox.gcp_fake.world import ApiError, Fault, Json, World
from sandbox.loopback_http import LoopbackHttp, QuietHandler, ServedFake

Handler = Callable[[World, dict[str, str], dict[str, str], Json], Json]
_ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    (method, re.compile(pattern + r"$"), handler)
    for method, pattern, handler in [*compute.ROUTES, *rest_apis.ROUTES]
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
        with world.lock:
            world.log.append((method, url.path))
        try:
            status, payload = 200, self._dispatch(world, method, url.path, url.query, raw)
        except ApiError as err:
            status, payload = err.code, _error_body(err)
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _dispatch(self, world: World, method: str, path: str, query: str, raw: bytes) -> bytes:
        fault = world.fault_for(method, path)
        if fault:
            raise ApiError(fault.code, fault.message)
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            raise ApiError(400, "Invalid JSON payload received.") from None
        params = dict(parse_qsl(query, keep_blank_values=True))
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


class GcpFake(ServedFake):
    """A running fake: seed it, point clients at ``url``, read state back, inject faults."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.world = World(clock or (lambda: datetime.now(UTC)))
        self._http = LoopbackHttp(_Server(self.world), "gcp-fake")
        self.url = self._http.url

    # ---- seeding --------------------------------------------------------------------------
    def add_project(self, project: str, parent: str = "") -> None:
        """A project; ``parent`` (``folders/1``, ``organizations/2``) for Resource Manager."""
        self.world.project(project, parent)

    def add_folder(self, folder: str, parent: str) -> None:
        with self.world.lock:
            self.world.folders[folder] = parent

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
        """A VM; ``extra``: ``gpus=("nvidia-l4", 1)``, ``metadata={...}``, ``started=datetime``."""
        return self.world.add_instance(project, zone, name, machine_type, labels, status, **extra)

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
    ) -> Json:
        """A managed instance group in a zone (or a region: ``us-central1``) of ``template``."""
        return self.world.add_mig(project, location, name, template, size, autoscaled=autoscaled)

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
    ) -> None:
        """Answer requests whose path contains ``path_part`` with ``code``: ``times`` times
        (None: always), once ``after`` matching requests have gone through."""
        with self.world.lock:
            self.world.faults.append(Fault(path_part, code, message, method, times, after))

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
