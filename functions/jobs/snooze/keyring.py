"""The snooze signing key as a running function holds it: read lazily, kept for at most
``ttl``, read again at once when a signature does not match (a rotation this instance has
not seen yet), and the previous key accepted for ``grace`` after this instance saw it
replaced, so links signed a moment before a rotation still work and older ones do not.

The clock is a parameter (monotonic seconds); ``fetch`` reads the secret store and
raises ``KeyUnavailable``. Every key is checked for strength before it is used.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

logger = logging.getLogger("offhours.snooze")
# HMAC-SHA256 with a key shorter than 32 bytes is guessable.
MIN_KEY_BYTES = 32
# A key of a few symbols repeated (32 spaces, "aaaa…") is no secret; a hex key has 16.
MIN_DISTINCT = 8
KEY_TTL = 300.0  # seconds an instance keeps a key before it reads the secret again
GRACE = 900.0  # seconds the previous key still verifies after a rotation is seen
# A mismatched signature reads the secret again at most this often (forged links would
# otherwise turn into one secret read each).
MIN_REFRESH = 30.0


class KeyUnavailable(Exception):
    """The key could not be read, or is too weak to sign with; the text says which."""


def check_key(key: bytes, name: str = "the snooze key") -> bytes:
    """``key``, or KeyUnavailable when it is short or of low entropy."""
    if len(key.strip()) < MIN_KEY_BYTES:
        raise KeyUnavailable(f"{name} is shorter than {MIN_KEY_BYTES} bytes (spaces aside)")
    most = Counter(key).most_common(1)[0][1]
    if len(set(key)) < MIN_DISTINCT or most > len(key) // 4:
        raise KeyUnavailable(
            f"{name} is too uniform to be a secret (a repeated character?): "
            "generate one, e.g. `openssl rand -base64 48`"
        )
    return key


@dataclass
class KeyRing:
    fetch: Callable[[], bytes]
    clock: Callable[[], float] = time.monotonic
    ttl: float = KEY_TTL
    grace: float = GRACE
    min_refresh: float = MIN_REFRESH
    _current: bytes | None = field(default=None, init=False)
    _read_at: float = field(default=0.0, init=False)
    _previous: bytes | None = field(default=None, init=False)
    _replaced_at: float = field(default=0.0, init=False)
    _reread_at: float | None = field(default=None, init=False)

    def keys(self) -> list[bytes]:
        """The keys a signature may match, current first. Raises KeyUnavailable."""
        now = self.clock()
        if self._current is None or now - self._read_at >= self.ttl:
            self._read(now)
        assert self._current is not None
        keys = [self._current]
        if self._previous is not None and now - self._replaced_at < self.grace:
            keys.append(self._previous)
        return keys

    def reread(self) -> bool:
        """After a mismatch: read the secret again (at most every ``min_refresh``);
        True when it holds a key this instance did not have."""
        now = self.clock()
        if self._reread_at is not None and now - self._reread_at < self.min_refresh:
            return False
        self._reread_at = now
        before = self._current
        self._read(now)
        return self._current != before

    def _read(self, now: float) -> None:
        key = check_key(self.fetch())
        if self._current is not None and key != self._current:
            logger.info("snooze key rotated: the previous key verifies for %.0f s", self.grace)
            self._previous, self._replaced_at = self._current, now
        self._current, self._read_at = key, now
