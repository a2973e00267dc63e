"""Snooze tokens: ``base64url(payload).base64url(HMAC-SHA256(key, payload))``.

The payload is compact JSON naming exactly one resource and one action, the stop instant
the link was issued for, when it expires and a random nonce (the replay guard records
used nonces in the ledger store). Verification compares signatures in constant time and
checks the signature before reading anything else from the payload.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

VERSION = 1
ACTIONS = ("keep-1h", "keep-2h", "keep-until-08", "skip-tonight")


class TokenError(ValueError):
    """The token cannot be honoured; ``reason`` is one of malformed, tampered, expired."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class SnoozeToken:
    cloud: str
    account: str
    region: str
    kind: str
    resource_id: str
    action: str
    stop_at: datetime
    expires: datetime
    nonce: str
    # Who the link was sent to (the owner address): the ledger row says who asked.
    recipient: str = ""

    def names(self, kind: str, resource_id: str) -> bool:
        return (self.kind, self.resource_id) == (kind, resource_id)


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def sign(token: SnoozeToken, key: bytes) -> str:
    if token.action not in ACTIONS:
        raise ValueError(f"unknown snooze action {token.action!r} (choose from {ACTIONS})")
    payload = json.dumps(_fields(token), separators=(",", ":"), sort_keys=True).encode()
    mac = hmac.new(key, payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


def verify(text: str, key: bytes, now: datetime) -> SnoozeToken:
    """The token's content, or TokenError: malformed, tampered (signature or content
    does not match) or expired at ``now``."""
    encoded, dot, signature = text.strip().partition(".")
    if not dot or not encoded or not signature:
        raise TokenError("malformed", "this link is incomplete: it has no signature")
    try:
        payload = _unb64(encoded)
        given = _unb64(signature)
    except (binascii.Error, ValueError) as err:
        raise TokenError("malformed", "this link is damaged (not base64url)") from err
    wanted = hmac.new(key, payload, hashlib.sha256).digest()
    if not hmac.compare_digest(given, wanted):
        raise TokenError("tampered", "this link's signature does not match its content")
    token = _parse(payload)
    if now >= token.expires:
        raise TokenError("expired", f"this link expired at {token.expires:%Y-%m-%d %H:%M} UTC")
    return token


def _fields(token: SnoozeToken) -> dict[str, Any]:
    return {
        "v": VERSION,
        "c": token.cloud,
        "a": token.account,
        "r": token.region,
        "k": token.kind,
        "id": token.resource_id,
        "act": token.action,
        "stop": _epoch(token.stop_at),
        "exp": _epoch(token.expires),
        "n": token.nonce,
        "to": token.recipient,
    }


def _parse(payload: bytes) -> SnoozeToken:
    # Signed by us, so a bad shape here is a key shared with something else or a bug in
    # an older signer: refuse it as malformed rather than guess.
    try:
        data = json.loads(payload)
        if data["v"] != VERSION or data["act"] not in ACTIONS:
            raise ValueError("unknown version or action")
        return SnoozeToken(
            cloud=str(data["c"]),
            account=str(data["a"]),
            region=str(data["r"]),
            kind=str(data["k"]),
            resource_id=str(data["id"]),
            action=str(data["act"]),
            stop_at=datetime.fromtimestamp(int(data["stop"]), UTC),
            expires=datetime.fromtimestamp(int(data["exp"]), UTC),
            nonce=str(data["n"]),
            recipient=str(data.get("to", "")),
        )
    except (ValueError, KeyError, TypeError) as err:
        raise TokenError("malformed", "this link's content is not a snooze request") from err


def _epoch(at: datetime) -> int:
    if at.tzinfo is None:
        raise ValueError("token instants must be zone-aware")
    return int(at.timestamp())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not text.replace("-", "").replace("_", "").isalnum():
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
