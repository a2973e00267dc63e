"""One SMTP server and one webhook receiver per module, emptied for every test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from notice_kit import Inbox, Receiver, free_port, serve_receiver


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[tuple[int, Inbox]]:
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


@pytest.fixture
def inbox(smtp_server: tuple[int, Inbox]) -> Inbox:
    smtp_server[1].mail.clear()
    return smtp_server[1]


@pytest.fixture
def smtp_port(smtp_server: tuple[int, Inbox]) -> int:
    return smtp_server[0]


@pytest.fixture(scope="module")
def receiver_server() -> Iterator[Receiver]:
    server, receiver = serve_receiver()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def receiver(receiver_server: Receiver) -> Receiver:
    receiver_server.posts.clear()
    return receiver_server


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from sandbox.moto_server import moto_server

    with moto_server() as url:
        yield url
