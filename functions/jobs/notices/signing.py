"""HMAC-SHA256 signatures of JSON webhook bodies, and their check on the receiving side.

Headers: ``X-Offhours-Timestamp: <Unix seconds>`` and ``X-Offhours-Signature:
sha256=<hex HMAC of the raw body>``. The body carries the same instant as ``sent_at``,
so the signature covers it: a receiver that checks the signature, that the header
matches ``sent_at``, and that it is recent rejects both forgeries and replays.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping

SIGNATURE_HEADER = "X-Offhours-Signature"
TIMESTAMP_HEADER = "X-Offhours-Timestamp"
# How old a signed body a receiver accepts by default.
TOLERANCE_SECONDS = 300
# Exactly what ``signature`` writes, and ASCII decimal Unix seconds: anything else (a
# non-ASCII header, ``١٢``, `` 12``, ``1_000``) is refused before it is compared.
_SIGNATURE = re.compile(r"sha256=[0-9a-f]{64}")
_STAMP = re.compile(r"[0-9]{1,12}")


class SignatureError(ValueError):
    """A body whose signature, timestamp or age does not check out."""


def signature(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def signed_headers(secret: bytes, body: bytes, sent_at: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        TIMESTAMP_HEADER: str(sent_at),
        SIGNATURE_HEADER: signature(secret, body),
    }


def verify(
    secret: bytes,
    body: bytes,
    headers: Mapping[str, str],
    now: float,
    tolerance: float = TOLERANCE_SECONDS,
) -> None:
    """What a receiver does: raises SignatureError unless the body is authentic and fresh."""
    lowered = {str(k).lower(): v for k, v in headers.items()}
    given = lowered.get(SIGNATURE_HEADER.lower(), "")
    if not isinstance(given, str) or _SIGNATURE.fullmatch(given) is None:
        raise SignatureError("signature header is not sha256=<64 hex digits>")
    if not hmac.compare_digest(given.encode(), signature(secret, body).encode()):
        raise SignatureError("signature does not match the body")
    raw_stamp = lowered.get(TIMESTAMP_HEADER.lower(), "")
    if not isinstance(raw_stamp, str) or _STAMP.fullmatch(raw_stamp) is None:
        raise SignatureError("timestamp header is not Unix seconds in ASCII digits")
    stamp = int(raw_stamp)
    try:
        sent_at = json.loads(body)["sent_at"]
    except (ValueError, KeyError, TypeError, RecursionError) as err:
        raise SignatureError(f"no usable timestamp: {err}") from err
    if type(sent_at) is not int or stamp != sent_at:
        raise SignatureError("timestamp header differs from the signed sent_at")
    if abs(now - stamp) > tolerance:
        raise SignatureError(f"sent {now - stamp:.0f} s ago: too old (a replay?)")
