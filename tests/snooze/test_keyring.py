"""The snooze key as a warm function holds it (``functions/jobs/snooze/keyring.py``): a
short cache, a rotation seen at once on a mismatch, the previous key for a grace period
only, weak keys refused. The clock and the secret store are parameters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from functions.jobs.snooze.keyring import GRACE, KEY_TTL, KeyRing, KeyUnavailable, check_key
from functions.jobs.snooze.tokens import SnoozeToken, TokenError, sign, verify

OLD = b"old-key-0123456789abcdefghijklmnopqrstuv"
NEW = b"new-key-ZYXWVUTSRQPONMLKJIHGFEDCBA987654"
STOP = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)
TOKEN = SnoozeToken(
    "aws", "123456789012", "eu-west-1", "ec2", "i-0abc", "keep-1h", STOP,
    STOP + timedelta(hours=12), "n0nce-0123456789abcdef",
)  # fmt: skip


class Secret:
    """The secret store: its value, and how often it was read."""

    def __init__(self, value: bytes) -> None:
        self.value, self.reads = value, 0

    def __call__(self) -> bytes:
        self.reads += 1
        if not self.value:
            raise KeyUnavailable("the secret store did not answer")
        return self.value


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def checked(ring: KeyRing, key: bytes) -> SnoozeToken:
    """What the handler does: verify, and on a mismatch read the secret once more."""
    text = sign(TOKEN, key)
    try:
        return verify(text, ring.keys(), STOP)
    except TokenError as err:
        if err.reason != "tampered" or not ring.reread():
            raise
    return verify(text, ring.keys(), STOP)


def test_a_rotation_is_honoured_at_once_and_the_old_key_only_for_the_grace() -> None:
    """Issue 22: while warm, old-key links kept working and new-key links got 403."""
    secret, clock = Secret(OLD), Clock()
    ring = KeyRing(secret, clock)
    assert checked(ring, OLD) == TOKEN
    secret.value = NEW
    clock.now += 10
    assert checked(ring, NEW) == TOKEN  # a mismatch reads the secret again
    assert checked(ring, OLD) == TOKEN  # links signed just before the rotation
    clock.now += GRACE
    with pytest.raises(TokenError) as raised:
        checked(ring, OLD)
    assert raised.value.reason == "tampered"
    assert checked(ring, NEW) == TOKEN


def test_the_key_is_read_again_after_the_ttl_and_forged_links_cost_few_reads() -> None:
    secret, clock = Secret(OLD), Clock()
    ring = KeyRing(secret, clock)
    ring.keys()
    ring.keys()
    assert secret.reads == 1
    for _ in range(50):  # forged signatures: at most one extra read per MIN_REFRESH
        with pytest.raises(TokenError):
            checked(ring, b"forger-key-0123456789abcdefghijklmnop")
    assert secret.reads == 2
    clock.now += KEY_TTL
    ring.keys()
    assert secret.reads == 3


def test_a_store_that_cannot_be_read_is_key_unavailable_each_time_not_a_stale_key() -> None:
    secret, clock = Secret(OLD), Clock()
    ring = KeyRing(secret, clock)
    ring.keys()
    secret.value = b""
    clock.now += KEY_TTL
    for _ in range(2):
        with pytest.raises(KeyUnavailable):
            ring.keys()
    secret.value = OLD
    assert ring.keys() == [OLD]


@pytest.mark.parametrize(
    "key",
    [
        b" " * 32,  # issue 22: accepted before
        b" " * 40 + b"abc",
        b"short-key",
        b"a" * 64,
        b"ab" * 32,
        b"abcdefg" * 8,  # seven symbols
        b"0" * 40 + b"123456789",  # one symbol dominates
    ],
)
def test_weak_keys_are_refused(key: bytes) -> None:
    with pytest.raises(KeyUnavailable):
        check_key(key)
    with pytest.raises(KeyUnavailable):
        KeyRing(lambda: key).keys()


def test_generated_keys_pass() -> None:
    import base64
    import secrets

    for _ in range(200):
        check_key(base64.b64encode(secrets.token_bytes(48)))
        check_key(secrets.token_hex(32).encode())
