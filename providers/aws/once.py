"""A cache that computes each key once, however many threads ask at the same time.

A plain check-then-fill cache misses for every worker that asks before the first answer
arrives: eight workers starting on six regions of one account made eight ``AssumeRole``
calls for it. Here the first caller of a key computes it while the others of that key
wait for its answer; callers of other keys are not held up. A failure is not cached:
the waiting callers try again themselves (a refused role is refused quickly).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class OncePerKey(Generic[K, V]):
    def __init__(self) -> None:
        self._values: dict[K, V] = {}
        self._locks: dict[K, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: K, make: Callable[[], V]) -> V:
        with self._lock:
            if key in self._values:
                return self._values[key]
            key_lock = self._locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._values:
                    return self._values[key]
            value = make()
            with self._lock:
                self._values[key] = value
                self._locks.pop(key, None)
            return value
