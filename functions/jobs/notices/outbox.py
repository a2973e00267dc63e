"""Senders that write what they would send to a folder: ``offhours demo`` shows its
notices as ``.eml`` files and webhook JSON bodies instead of mailing anyone."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "x"


class OutboxMail:
    """A ``functions.mail.Sender`` that writes ``<when>-<to>-<id>.eml``."""

    def __init__(self, folder: Path, clock: Callable[[], datetime]) -> None:
        self.folder, self.clock = folder, clock

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        to = ",".join(a for _, a in getaddresses([str(message["To"])]))
        data = message.as_bytes()
        name = f"{self.clock():%Y%m%dT%H%MZ}-email-{_slug(to)}-{_digest(data)}.eml"
        (self.folder / name).write_bytes(data)


class OutboxPoster:
    """A webhook poster that writes ``<when>-<channel>-<id>.json`` (the exact body)."""

    def __init__(self, folder: Path, clock: Callable[[], datetime]) -> None:
        self.folder, self.clock = folder, clock

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        channel = _slug(url.split("://", 1)[-1])
        name = f"{self.clock():%Y%m%dT%H%MZ}-{channel}-{_digest(body)}.json"
        (self.folder / name).write_bytes(body)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:10]
