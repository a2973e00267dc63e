"""Receivers for the notice tests: a real SMTP server (aiosmtpd) and a webhook receiver
(http.server on 127.0.0.1), both recording what they were sent, plus a small
deterministic link maker standing in for the snooze links."""

from __future__ import annotations

import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from providers.base import Resource

SECRET = "test-signing-secret"


def links(resource: Resource, stop_at: datetime) -> Sequence[tuple[str, str]]:
    until = stop_at.astimezone(UTC)
    base = f"https://offhours.example/keep?r={resource.id}&at={until:%Y%m%dT%H%MZ}"
    return [("keep running 1 h", f"{base}&for=1h"), ("skip tonight", f"{base}&for=night")]


@dataclass
class Mail:
    rcpt: list[str]
    message: EmailMessage


class Inbox:
    def __init__(self) -> None:
        self.mail: list[Mail] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(bytes(envelope.content), policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.mail.append(Mail(list(envelope.rcpt_tos), parsed))
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m.message for m in self.mail if address in m.rcpt]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Post:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Answers 200 to every POST, except 500 under ``/broken``."""

    url: str = ""
    posts: list[Post] = field(default_factory=list)

    def on(self, path: str) -> list[Post]:
        return [p for p in self.posts if p.path == path]


def serve_receiver() -> tuple[ThreadingHTTPServer, Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            receiver.posts.append(Post(self.path, dict(self.headers.items()), body))
            self.send_response(500 if self.path.startswith("/broken") else 200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, receiver


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def seeded_session(moto_url: str, region: str, fleet: Sequence[Any]) -> Any:
    """A boto3 session on the moto server at ``moto_url``, reset and holding ``fleet``
    (``sandbox.aws_fleet.Box`` values), for tests that drive the console script."""
    import urllib.request

    import boto3

    from sandbox.aws_fleet import launch

    reset = urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")
    urllib.request.urlopen(reset, timeout=10).read()
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
    )
    client = session.client("ec2", endpoint_url=moto_url)
    for box in fleet:
        launch(client, box)
    return session
