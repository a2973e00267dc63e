"""Plain data of notices: channels, recipients, notices, messages, outcomes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from functions.safe_text import one_line
from ledger.record import iso
from providers.base import Resource

# Given a resource and its stop instant: (label, url) pairs such as
# ("keep running 1 h", "https://…"), rendered as links in every channel.
LinkMaker = Callable[[Resource, datetime], Sequence[tuple[str, str]]]


class ChannelKind(StrEnum):
    EMAIL = "email"
    SLACK = "slack"  # Slack incoming webhook
    TEAMS = "teams"  # Microsoft Teams incoming webhook (Adaptive Card)
    JSON = "json"  # any other receiver: signed JSON body


@dataclass(frozen=True, order=True)
class Recipient:
    """Where one message goes: an email address or a webhook URL."""

    kind: ChannelKind
    address: str
    # Who it is for, in words: the address itself, or "team web".
    label: str = ""

    def __str__(self) -> str:
        if self.kind is ChannelKind.EMAIL:
            return self.address
        return f"{self.label or 'channel'} ({self.kind.value})"


@dataclass(frozen=True)
class NoticeConfig:
    window: timedelta = timedelta(minutes=15)
    # A resource may ask for a longer warning with this tag (minutes), never a shorter one.
    window_tag: str = "notice-minutes"
    owner_key: str = "owner"
    team_key: str = "team"
    # team tag value -> its channels
    channels: Mapping[str, tuple[Recipient, ...]] = field(default_factory=dict)
    sender: str = "offhours@example.com"
    # Email notices go out only when a mail transport is configured.
    email: bool = False
    # Key of the HMAC-SHA256 signature of JSON webhook bodies.
    secret: bytes = b""
    override_key: str = "schedule-override"


@dataclass(frozen=True)
class Notice:
    """One resource that its schedule stops at ``stop_at``, and who is told."""

    resource: Resource
    stop_at: datetime
    schedule: str
    timezone: str
    reason: str
    recipients: tuple[Recipient, ...] = ()
    # Why someone who should be told cannot be (an owner tag that is not an address).
    problems: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """One notice per resource per stop instant: the key it is claimed under."""
        return notice_key(self.resource.key, self.stop_at)


def notice_key(resource_key: str, stop_at: datetime) -> str:
    return f"{resource_key}@{iso(stop_at)}"


@dataclass(frozen=True)
class Message:
    """What one recipient gets from one run: every notice of theirs, in one message."""

    recipient: Recipient
    notices: tuple[Notice, ...]

    @property
    def id(self) -> str:
        """Stable across retries of the same notices: receivers can drop duplicates."""
        text = "\n".join([str(self.recipient.address), *sorted(n.key for n in self.notices)])
        return hashlib.sha256(text.encode()).hexdigest()[:32]


class Status(StrEnum):
    DUE = "due"  # planned; a dry run stops here
    CLAIMED = "claimed"  # recorded in the state, about to be sent
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class NoticeOutcome:
    notice: Notice
    status: Status
    # Recipients that got it.
    sent_to: tuple[str, ...] = ()
    error: str = ""

    def record(self) -> dict[str, object]:
        """For ``--output json`` (docs/cli-output.md)."""
        r = self.notice.resource
        return {
            "id": r.id,
            "name": r.name,
            "kind": r.kind,
            "stop_at": iso(self.notice.stop_at),
            "status": self.status.value,
            "to": list(self.sent_to or [str(x) for x in self.notice.recipients]),
            "error": self.error or None,
        }

    def describe(self) -> str:
        """One line for logs and reports (a name cannot start a line of its own)."""
        r = self.notice.resource
        where = f"{one_line(r.name or r.id)} stops at {iso(self.notice.stop_at)}"
        to = ", ".join(self.sent_to or [str(x) for x in self.notice.recipients]) or "nobody"
        tail = f": {self.error}" if self.error else ""
        return f"notice {self.status.value}: {where}, to {to}{tail}"
