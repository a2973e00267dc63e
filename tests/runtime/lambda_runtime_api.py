"""A local Lambda Runtime API (the ``2018-06-01`` interface a runtime client polls).

The real runtime interface client (awslambdaric) asks ``GET …/invocation/next`` for an
event, calls the handler, and posts ``…/response`` or ``…/error``; init failures go to
``…/init/error``. This server hands out queued events one at a time and records what came
back, so a test can run an artefact exactly as the Lambda service drives it.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PREFIX = "/2018-06-01/runtime"
FUNCTION_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:offhours-scheduler"


@dataclass
class Invocation:
    event: dict[str, Any]
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    response: Any = None
    error: Any = None
    done: threading.Event = field(default_factory=threading.Event)


class RuntimeApi:
    def __init__(self, timeout_ms: int = 900_000) -> None:
        self.pending: queue.Queue[Invocation] = queue.Queue()
        self.by_id: dict[str, Invocation] = {}
        self.init_error: Any = None
        self.timeout_ms = timeout_ms
        self.address = ""

    def invoke(self, event: dict[str, Any], wait: float = 120.0) -> Invocation:
        """Queue one event and wait until the runtime answered it."""
        invocation = Invocation(event)
        self.by_id[invocation.request_id] = invocation
        self.pending.put(invocation)
        deadline = time.monotonic() + wait
        while not invocation.done.wait(0.1):
            if self.init_error is not None:
                raise AssertionError(f"the runtime failed to initialise: {self.init_error}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no answer to {event} within {wait} s")
        return invocation


def _handler(api: RuntimeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                return json.loads(raw or b"null")
            except ValueError:
                return raw.decode(errors="replace")

        def _send(self, status: int, body: bytes = b"{}", headers: dict[str, str] | None = None):
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path != f"{PREFIX}/invocation/next":
                self._send(404)
                return
            invocation = api.pending.get()  # blocks, as the service does between events
            deadline = int(time.time() * 1000) + api.timeout_ms
            self._send(
                200,
                json.dumps(invocation.event).encode(),
                {
                    "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                    "Lambda-Runtime-Deadline-Ms": str(deadline),
                    "Lambda-Runtime-Invoked-Function-Arn": FUNCTION_ARN,
                    "Lambda-Runtime-Trace-Id": "Root=1-00000000-000000000000000000000000",
                },
            )

        def do_POST(self) -> None:
            body = self._body()
            if self.path == f"{PREFIX}/init/error":
                api.init_error = body
                self._send(202)
                return
            parts = self.path.removeprefix(f"{PREFIX}/invocation/").split("/")
            invocation = api.by_id.get(parts[0]) if len(parts) == 2 else None
            if invocation is None:
                self._send(404)
                return
            if parts[1] == "response":
                invocation.response = body
            else:
                invocation.error = body
            invocation.done.set()
            self._send(202)

    return Handler


@contextmanager
def runtime_api() -> Iterator[RuntimeApi]:
    api = RuntimeApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    server.daemon_threads = True
    api.address = f"127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
