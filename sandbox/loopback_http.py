"""What the local cloud fakes share: a quiet JSON request handler and a threaded HTTP
server on 127.0.0.1 and a free port, run in a daemon thread and stopped on exit."""

from __future__ import annotations

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self


class QuietHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body are two writes: with Nagle on, every response stalls 40 ms.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:
        return


class LoopbackHttp:
    """Serve ``server`` in a daemon thread; ``url`` is where clients point."""

    def __init__(
        self, server: ThreadingHTTPServer, name: str, tls: ssl.SSLContext | None = None
    ) -> None:
        server.daemon_threads = True
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
        self._server = server
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name=name, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class ServedFake:
    """Lifecycle of a fake that owns a LoopbackHttp: ``stop()`` and ``with``."""

    _http: LoopbackHttp | None = None

    def stop(self) -> None:
        if self._http is not None:
            self._http.stop()
            self._http = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
