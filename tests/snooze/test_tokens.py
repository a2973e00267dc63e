"""Snooze tokens: what signs verifies, and every change to a link is refused."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from functions.jobs.snooze.tokens import SnoozeToken, TokenError, sign, verify

KEY = b"k" * 32
STOP = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)
TOKEN = SnoozeToken(
    cloud="aws",
    account="123456789012",
    region="eu-west-1",
    kind="ec2",
    resource_id="i-0abc",
    action="keep-2h",
    stop_at=STOP,
    expires=STOP + timedelta(hours=12),
    nonce="n0nce-0123456789abcdef",
    recipient="alice@example.com",
)


def test_a_signed_token_verifies_to_its_content() -> None:
    assert verify(sign(TOKEN, KEY), KEY, STOP) == TOKEN


def test_the_payload_is_compact_json_with_every_field() -> None:
    payload = json.loads(base64.urlsafe_b64decode(sign(TOKEN, KEY).split(".")[0] + "=="))
    assert payload == {
        "v": 1,
        "c": "aws",
        "a": "123456789012",
        "r": "eu-west-1",
        "k": "ec2",
        "id": "i-0abc",
        "act": "keep-2h",
        "stop": int(STOP.timestamp()),
        "exp": int((STOP + timedelta(hours=12)).timestamp()),
        "n": "n0nce-0123456789abcdef",
        "to": "alice@example.com",
    }


def _reencode(text: str, **changes: object) -> str:
    encoded, signature = text.split(".")
    payload = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    payload.update(changes)
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode() + "." + signature


@pytest.mark.parametrize(
    "change", [{"id": "i-0other"}, {"act": "skip-tonight"}, {"exp": 4102444800}]
)
def test_a_changed_payload_is_tampered(change: dict[str, object]) -> None:
    with pytest.raises(TokenError) as raised:
        verify(_reencode(sign(TOKEN, KEY), **change), KEY, STOP)
    assert raised.value.reason == "tampered"


def test_another_key_or_a_changed_signature_is_tampered() -> None:
    text = sign(TOKEN, KEY)
    for bad in (text, text[:-2] + ("AA" if not text.endswith("AA") else "BB")):
        key = b"x" * 32 if bad == text else KEY
        with pytest.raises(TokenError) as raised:
            verify(bad, key, STOP)
        assert raised.value.reason == "tampered"


def test_an_expired_token_is_refused_at_and_after_its_expiry() -> None:
    text = sign(TOKEN, KEY)
    assert verify(text, KEY, TOKEN.expires - timedelta(seconds=1)) == TOKEN
    with pytest.raises(TokenError) as raised:
        verify(text, KEY, TOKEN.expires)
    assert raised.value.reason == "expired"


@pytest.mark.parametrize("text", ["", "abc", "abc.", ".abc", "a$b.c", "e30.!!"])
def test_malformed_text_is_malformed(text: str) -> None:
    with pytest.raises(TokenError) as raised:
        verify(text, KEY, STOP)
    assert raised.value.reason == "malformed"


def test_a_signed_but_foreign_payload_is_malformed() -> None:
    import hashlib
    import hmac

    payload = b'{"hello":"world"}'
    mac = hmac.new(KEY, payload, hashlib.sha256).digest()
    text = (
        base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
        + "."
        + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    )
    with pytest.raises(TokenError) as raised:
        verify(text, KEY, STOP)
    assert raised.value.reason == "malformed"


def test_unknown_actions_and_naive_instants_are_not_signed() -> None:
    with pytest.raises(ValueError):
        sign(replace(TOKEN, action="keep-forever"), KEY)
    with pytest.raises(ValueError):
        sign(replace(TOKEN, stop_at=datetime(2026, 11, 23, 19, 0)), KEY)


def _signed(payload: bytes, key: bytes = KEY) -> str:
    import hashlib
    import hmac

    mac = hmac.new(key, payload, hashlib.sha256).digest()
    return (
        base64.urlsafe_b64encode(payload).rstrip(b"=").decode()
        + "."
        + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
    )


def signed_variant(key: bytes = KEY, **changes: object) -> str:
    """TOKEN's payload with ``changes``, correctly signed: only strict parsing refuses it."""
    encoded = sign(TOKEN, key).split(".")[0]
    payload = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    raw = json.dumps({**payload, **changes}, separators=(",", ":"))
    for value in changes.values():  # JSON numbers json.dumps cannot write
        if isinstance(value, Raw):
            raw = raw.replace(json.dumps(value), value)
    return _signed(raw.encode(), key)


class Raw(str):
    """A JSON literal written as it is (``1e400``)."""


STRICT_CASES = [
    {"v": True},
    {"v": 1.0},
    {"v": "1"},
    {"exp": Raw("1e400")},
    {"exp": 10**30},
    {"exp": -(10**30)},
    {"stop": 1.5e9},
    {"exp": True},
    {"n": "../../x"},
    {"n": "short"},
    {"n": "n0nce-0123456789abcde/"},
    {"n": 1234567890123456789012},
    {"id": 12},
    {"to": ["a@example.com"]},
    {"act": ["keep-1h"]},
]


@pytest.mark.parametrize("change", STRICT_CASES)
def test_a_signed_token_with_a_loose_field_is_malformed(change: dict[str, object]) -> None:
    """Issue 22: ``exp`` of 1e400 or 10**30 was an OverflowError (a 500), ``v: true``
    and ``v: 1.0`` passed, a nonce ``../../x`` became an object key with ``..``."""
    with pytest.raises(TokenError) as raised:
        verify(signed_variant(**change), KEY, STOP)
    assert raised.value.reason == "malformed"


def test_a_top_level_that_is_no_object_is_malformed() -> None:
    for payload in (b"[1]", b"1", b'"x"', b"[" * 100_000 + b"]" * 100_000):
        with pytest.raises(TokenError) as raised:
            verify(_signed(payload), KEY, STOP)
        assert raised.value.reason == "malformed"


def test_only_nonces_of_the_fixed_form_are_signed() -> None:
    for nonce in ("../../x", "n" * 21, "n" * 23, "é" * 22):
        with pytest.raises(ValueError):
            sign(replace(TOKEN, nonce=nonce), KEY)
