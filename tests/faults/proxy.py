"""A fault-injecting HTTP proxy between offhours and a moto server.

Every request is forwarded to moto unless a rule matches it first. A rule names what it
matches (AWS service and operation; for S3 the method and a key pattern) and what it does
(answer an error in the service's wire format, add latency, hold the call until the test
opens the gate, or SIGKILL the registered offhours process before or after moto answered),
and how many times (always bounded).
The proxy records every call it saw, so a test can assert on the traffic as well as on
the outcome.
"""

from __future__ import annotations

import fnmatch
import http.client
import os
import re
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

_SCOPE = re.compile(r"Credential=[^/]+/\d+/[^/]+/([^/]+)/aws4_request")
_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "upgrade"}


@dataclass(frozen=True)
class Call:
    """One request as the proxy saw it, and what became of it."""

    service: str  # "ec2", "s3", "sts", ...
    operation: str  # "StopInstances", or the HTTP method for S3
    key: str  # S3 object key (bucket removed), "" otherwise
    status: int  # what offhours got back; 0 when it got nothing (killed)
    fault: str = ""  # the rule's action when one applied


@dataclass
class Rule:
    """``action``: "error", "latency", "hold" (the call waits until the test opens the
    proxy's gate, so two runs overlap whatever the machine's load), "kill-before" (the call
    never reaches AWS) or "kill-after" (AWS acted, the answer is lost). ``after`` matching
    calls pass through untouched, then the next ``times`` calls get the fault."""

    service: str
    action: str
    operation: str = "*"
    key: str = "*"
    after: int = 0
    times: int = 1
    status: int = 500
    code: str = "InternalError"
    delay: float = 0.0
    seen: int = 0
    fired: int = 0

    def take(self, call: Call) -> bool:
        if not (
            fnmatch.fnmatchcase(call.service, self.service)
            and fnmatch.fnmatchcase(call.operation, self.operation)
            and fnmatch.fnmatchcase(call.key, self.key)
        ):
            return False
        self.seen += 1
        if self.seen <= self.after or self.fired >= self.times:
            return False
        self.fired += 1
        return True


def error_body(service: str, code: str) -> tuple[str, bytes]:
    """An error the SDK parses as ``code``, in the service's protocol."""
    message = f"injected by the fault proxy: {code}"
    if service == "s3":
        xml = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
        return "application/xml", xml.encode()
    if service in ("ec2",):  # EC2's query protocol
        xml = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message>"
            "</Error></Errors><RequestID>fault</RequestID></Response>"
        )
        return "text/xml", xml.encode()
    if service in ("sts", "iam", "autoscaling", "rds", "ses"):  # awsquery protocol
        xml = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>"
        )
        return "text/xml", xml.encode()
    return "application/x-amz-json-1.1", f'{{"__type":"{code}","message":"{message}"}}'.encode()


# The faults tests use most, in each service's own words.
def throttle(
    service: str, operation: str = "*", key: str = "*", after: int = 0, times: int = 1
) -> Rule:
    code = {"s3": "SlowDown", "ec2": "RequestLimitExceeded"}.get(service, "ThrottlingException")
    status = 503 if service == "s3" else 400
    return Rule(service, "error", operation, key, after, times, status, code)


def denied(
    service: str, operation: str = "*", key: str = "*", after: int = 0, times: int = 1
) -> Rule:
    code = "AccessDenied" if service in ("s3", "ec2", "sts") else "AccessDeniedException"
    return Rule(service, "error", operation, key, after, times, 403, code)


def unavailable(
    service: str, operation: str = "*", key: str = "*", after: int = 0, times: int = 1
) -> Rule:
    return Rule(service, "error", operation, key, after, times, 503, "ServiceUnavailable")


class FaultProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        parsed = urlparse(upstream)
        self.upstream = (parsed.hostname or "127.0.0.1", parsed.port or 80)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self.rules: list[Rule] = []
        self.calls: list[Call] = []
        self.pid: int | None = None  # the offhours process a kill rule ends
        self.lock = threading.Lock()
        # A "hold" rule's call sets ``held`` and waits for ``gate`` (bounded, so a run that
        # should never have got there still finishes and the test fails on what it did).
        self.held = threading.Event()
        self.gate = threading.Event()

    def reset(self, *rules: Rule) -> None:
        with self.lock:
            self.rules = list(rules)
            self.calls = []
            self.held.clear()
            self.gate.clear()

    def hold(self, timeout: float = 60.0) -> None:
        self.held.set()
        self.gate.wait(timeout)

    def match(self, call: Call) -> list[Rule]:
        """Every rule that acts on this call (each rule counts every call it matches)."""
        with self.lock:
            return [rule for rule in self.rules if rule.take(call)]

    def record(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)

    def kill(self) -> None:
        """SIGKILL the registered process and wait until it is gone, so that it cannot
        retry the call it is waiting on before the signal lands."""
        if self.pid is None:
            return
        with suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        stat = Path(f"/proc/{self.pid}/stat")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if stat.read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                    return
            except (FileNotFoundError, ProcessLookupError):
                return
            time.sleep(0.01)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # boto3 keeps connections alive; so does the proxy
    # Headers and body go out in separate writes: without this, Nagle's algorithm and
    # delayed ACKs hold every answer for tens of milliseconds.
    disable_nagle_algorithm = True
    server: FaultProxy
    upstream: http.client.HTTPConnection | None = None

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def _any(self) -> None:
        body = self._body()
        call = self._identify(body)
        rules = self.server.match(call)
        time.sleep(sum(r.delay for r in rules if r.action == "latency"))
        if any(r.action == "hold" for r in rules):
            self.server.hold()
        rule = next((r for r in rules if r.action not in ("latency", "hold")), None)
        # The call is recorded before the kill: the test reads the calls as soon as the
        # killed process is gone.
        if rule is not None and rule.action == "kill-before":
            self._drop(call, rule)
            return self.server.kill()
        if rule is not None and rule.action == "error":
            ctype, payload = error_body(call.service, rule.code)
            self.server.record(_with(call, rule.status, rule.action))
            return self._answer(rule.status, [("Content-Type", ctype)], payload)
        status, headers, payload = self._forward(body)
        if rule is not None and rule.action == "kill-after":
            self._drop(call, rule)
            return self.server.kill()
        self.server.record(_with(call, status, ""))
        return self._answer(status, headers, payload)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _any

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0], 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            self.rfile.readline()
            return b"".join(chunks)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _identify(self, body: bytes) -> Call:
        scope = _SCOPE.search(self.headers.get("Authorization", ""))
        service = scope.group(1) if scope else "?"
        url = urlparse(self.path)
        if service == "s3":
            _, _, key = url.path.lstrip("/").partition("/")
            return Call("s3", self.command, key, 0)
        target = self.headers.get("X-Amz-Target", "")
        if target:
            return Call(service, target.rpartition(".")[2], "", 0)
        form = parse_qs(url.query) | parse_qs(body.decode("utf-8", "replace"))
        return Call(service, form.get("Action", ["?"])[0], "", 0)

    def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
        headers["Content-Length"] = str(len(body))
        for attempt in (1, 2):  # moto may have closed an idle keep-alive connection
            if self.upstream is None:
                self.upstream = http.client.HTTPConnection(*self.server.upstream, timeout=60)
                self.upstream.connect()
                self.upstream.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                self.upstream.request(self.command, self.path, body=body, headers=headers)
                response = self.upstream.getresponse()
                payload = response.read()
                kept = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP]
                return response.status, kept, payload
            except (http.client.HTTPException, OSError):
                self.upstream.close()
                self.upstream = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _answer(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in ("content-length", "date", "server"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _drop(self, call: Call, rule: Rule) -> None:
        self.server.record(_with(call, 0, rule.action))
        self.close_connection = True


def _with(call: Call, status: int, fault: str) -> Call:
    return Call(call.service, call.operation, call.key, status, fault)


@contextmanager
def fault_proxy(upstream: str) -> Iterator[FaultProxy]:
    """Start a proxy to ``upstream`` on 127.0.0.1 (a free port); yield it."""
    proxy = FaultProxy(upstream)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()
