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
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

VERSION = 1
ACTIONS = ("keep-1h", "keep-2h", "keep-until-08", "skip-tonight")
# ``secrets.token_urlsafe(16)``: 22 characters of base64url. The nonce names an object
# key (``snooze/used/<nonce>``), so nothing else is honoured, signed or not.
NONCE = re.compile(r"[A-Za-z0-9_-]{22}")
# Instants a token may carry: Unix seconds from 2000 to 9999 (what ``datetime`` holds).
_EARLIEST, _LATEST = 946684800, 253402300799
_TEXT = ("c", "a", "r", "k", "id", "act", "n")


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


def valid_nonce(nonce: str) -> bool:
    return NONCE.fullmatch(nonce) is not None


def sign(token: SnoozeToken, key: bytes) -> str:
    if token.action not in ACTIONS:
        raise ValueError(f"unknown snooze action {token.action!r} (choose from {ACTIONS})")
    if not valid_nonce(token.nonce):
        raise ValueError(f"a nonce is 22 characters of base64url, not {token.nonce!r}")
    payload = json.dumps(_fields(token), separators=(",", ":"), sort_keys=True).encode()
    mac = hmac.new(key, payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


def verify(text: str, key: bytes | Sequence[bytes], now: datetime) -> SnoozeToken:
    """The token's content, or TokenError: malformed, tampered (signature or content
    does not match any of the keys) or expired at ``now``."""
    encoded, dot, signature = text.strip().partition(".")
    if not dot or not encoded or not signature:
        raise TokenError("malformed", "this link is incomplete: it has no signature")
    try:
        payload = _unb64(encoded)
        given = _unb64(signature)
    except (binascii.Error, ValueError) as err:
        raise TokenError("malformed", "this link is damaged (not base64url)") from err
    keys = [key] if isinstance(key, bytes) else list(key)
    matches = [
        hmac.compare_digest(given, hmac.new(k, payload, hashlib.sha256).digest()) for k in keys
    ]
    if not any(matches):
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
    # an older signer: refuse it as malformed rather than guess. Exact types throughout:
    # ``true`` or ``1.0`` is no version, ``1e400`` no instant.
    try:
        data = json.loads(payload)
        _check(data)
        return SnoozeToken(
            cloud=data["c"],
            account=data["a"],
            region=data["r"],
            kind=data["k"],
            resource_id=data["id"],
            action=data["act"],
            stop_at=datetime.fromtimestamp(data["stop"], UTC),
            expires=datetime.fromtimestamp(data["exp"], UTC),
            nonce=data["n"],
            recipient=data.get("to", ""),
        )
    except (ValueError, KeyError, TypeError, OverflowError, RecursionError) as err:
        raise TokenError("malformed", "this link's content is not a snooze request") from err


def _check(data: Any) -> None:
    if type(data) is not dict:
        raise TypeError("not an object")
    if type(data["v"]) is not int or data["v"] != VERSION or data["act"] not in ACTIONS:
        raise ValueError("unknown version or action")
    for name in ("stop", "exp"):
        if type(data[name]) is not int or not _EARLIEST <= data[name] <= _LATEST:
            raise ValueError(f"{name} is not an instant")
    if any(type(data[name]) is not str for name in _TEXT) or type(data.get("to", "")) is not str:
        raise TypeError("a field is not text")
    if not valid_nonce(data["n"]):
        raise ValueError("not a nonce")


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
