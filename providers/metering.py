"""Counting the calls a run is billed for, per run, by a meter the caller passes in.

The job's object store is wrapped in a ``MeteredStore``; the idle readers add their own
call counts (``providers/<cloud>/utilisation.py``'s ``Calls``) to the meter in the
adapter options. Names are the billing units the list prices are quoted in
(``functions/jobs/own_cost.py``), so pricing a run is a lookup, not a guess.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from typing import Any

from providers.store import ObjectStore, Versioned

# Object-store requests: GET/HEAD, LIST (one per page), PUT (conditional or not), DELETE.
STORE_READS = "store_reads"
STORE_LISTS = "store_lists"
STORE_WRITES = "store_writes"
STORE_DELETES = "store_deletes"
# Keys per LIST page when a store does not say (S3 ListObjectsV2 and GCS objects.list
# both return up to 1,000 names a page).
LIST_PAGE = 1000


class Meter:
    """Billable calls of one run by name; thread-safe (targets run on a pool)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    def add(self, name: str, count: int = 1) -> None:
        if count:
            with self._lock:
                self._counts[name] = self._counts.get(name, 0) + count

    def add_calls(self, prefix: str, calls: Any) -> None:
        """Every integer field of a reader's ``Calls`` dataclass, as ``prefix_field``."""
        for name, value in dataclasses.asdict(calls).items():
            if isinstance(value, int):
                self.add(f"{prefix}_{name}", value)

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._counts.items()))

    def clear(self) -> None:
        """Start the next run's count (a process that runs the job more than once)."""
        with self._lock:
            self._counts.clear()


def add_calls(meter: Meter | None, prefix: str, calls: Any) -> None:
    """``meter.add_calls`` when the options carry a meter (tests and tools often don't)."""
    if meter is not None:
        meter.add_calls(prefix, calls)


class MeteredStore:
    """An ObjectStore that counts each request it makes on the store it wraps."""

    def __init__(self, store: ObjectStore, meter: Meter) -> None:
        self.inner = store
        self.meter = meter
        self.url = store.url
        self.page = int(getattr(store, "list_page", LIST_PAGE))

    def put(self, key: str, data: bytes) -> None:
        self.meter.add(STORE_WRITES)
        self.inner.put(key, data)

    def get(self, key: str) -> bytes | None:
        self.meter.add(STORE_READS)
        return self.inner.get(key)

    def read(self, key: str) -> Versioned:
        self.meter.add(STORE_READS)
        return self.inner.read(key)

    def put_if(self, key: str, data: bytes, version: str) -> str:
        self.meter.add(STORE_WRITES)  # a lost race (412) is a request all the same
        return self.inner.put_if(key, data, version)

    def list(self, prefix: str) -> Iterator[str]:
        # One request per page: the first even when nothing is there, then one per
        # ``page`` keys after it.
        self.meter.add(STORE_LISTS)
        for n, key in enumerate(self.inner.list(prefix), start=1):
            if n > 1 and (n - 1) % self.page == 0:
                self.meter.add(STORE_LISTS)
            yield key

    def delete(self, key: str) -> None:
        self.meter.add(STORE_DELETES)
        self.inner.delete(key)

    def __getattr__(self, name: str) -> Any:
        # Anything else a caller looks up on a concrete store (``root``, ``bucket``).
        return getattr(self.inner, name)


def metered(store: ObjectStore, meter: Meter | None) -> ObjectStore:
    return store if meter is None else MeteredStore(store, meter)
