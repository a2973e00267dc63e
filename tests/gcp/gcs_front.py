"""A loopback front for gcp-storage-emulator that answers what the emulator does not.

The emulator ignores ``ifGenerationMatch`` (FIELD-NOTES) and sends no ``X-Goog-Generation``
header with an object's content. The front forwards every request to it, but first checks an
upload's generation precondition against the object's current generation, answering 412
``conditionNotMet`` as Cloud Storage does when it fails
(https://cloud.google.com/storage/docs/request-preconditions), and adds the generation header
to media downloads. Check and write happen under
one lock, so racing writers see the service's compare-and-swap. ``fail`` injects errors in
the JSON API's error shape.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

from sandbox.loopback_http import LoopbackHttp, QuietHandler

_UPLOAD = re.compile(r"^/upload/storage/v1/b/(?P<bucket>[^/]+)/o$")
_MEDIA = re.compile(r"^(?:/download)?/storage/v1/b/(?P<bucket>[^/]+)/o/(?P<name>.+)$")
_NAME = re.compile(rb'"name"\s*:\s*"(?P<name>[^"]+)"')


@dataclass
class Fault:
    path_part: str
    code: int
    method: str
    times: int


class _Handler(QuietHandler):
    server: _Front

    def do_GET(self) -> None:
        self._forward("GET")

    def do_POST(self) -> None:
        self._forward("POST")

    def do_DELETE(self) -> None:
        self._forward("DELETE")

    def _forward(self, method: str) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        front = self.server
        with front.lock:
            fault = front.take_fault(method, self.path)
            if fault is not None:
                return self._error(fault.code, f"injected {fault.code}")
            url = urlsplit(self.path)
            upload = _UPLOAD.match(url.path) if method == "POST" else None
            wanted = parse_qs(url.query).get("ifGenerationMatch")
            if upload and wanted:
                name = _NAME.search(body)
                current = front.generation(upload["bucket"], name["name"].decode()) if name else 0
                if current != int(wanted[0]):
                    return self._error(
                        412, "At least one of the pre-conditions you specified did not hold."
                    )
            status, headers, answer = front.upstream(method, self.path, dict(self.headers), body)
            media = _MEDIA.match(url.path) if "alt=media" in url.query else None
            if media and status == 200:
                # The service names the generation of what it sent; the emulator does not.
                name = unquote(media["name"])
                headers.append(("X-Goog-Generation", str(front.generation(media["bucket"], name))))
        self.send_response(status)
        for key, value in headers:
            if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def _error(self, code: int, message: str) -> None:
        reason = {403: "forbidden", 412: "conditionNotMet"}.get(code, "backendError")
        error = {
            "code": code,
            "message": message,
            "errors": [{"reason": reason, "message": message}],
        }
        payload = json.dumps({"error": error}).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class _Front(ThreadingHTTPServer):
    def __init__(self, emulator: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        parsed = urlsplit(emulator)
        self.target = (parsed.hostname or "127.0.0.1", parsed.port or 80)
        self.faults: list[Fault] = []
        self.lock = threading.RLock()

    def take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.times and fault.path_part in path and fault.method in ("", method):
                fault.times -= 1
                return fault
        return None

    def upstream(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(*self.target, timeout=10)
        try:
            headers = {k: v for k, v in headers.items() if k.lower() != "host"}
            connection.request(method, path, body=body or None, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def generation(self, bucket: str, name: str) -> int:
        path = f"/storage/v1/b/{bucket}/o/{quote(name, safe='')}"
        status, _, answer = self.upstream("GET", path, {}, b"")
        return int(json.loads(answer).get("generation", 0)) if status == 200 else 0


class GcsFront:
    """``url`` is where a GcsStore points; ``fail`` answers the next matching requests."""

    def __init__(self, emulator: str) -> None:
        self._server = _Front(emulator)
        self._http = LoopbackHttp(self._server, "gcs-front")
        self.url = self._http.url

    def fail(self, path_part: str, code: int, method: str = "", times: int = 1) -> None:
        with self._server.lock:
            self._server.faults.append(Fault(path_part, code, method, times))

    def clear(self) -> None:
        with self._server.lock:
            self._server.faults.clear()

    def stop(self) -> None:
        self._http.stop()

    def __enter__(self) -> GcsFront:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()
