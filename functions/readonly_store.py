"""A store that reads through and never writes, for commands that must change nothing.

``plan``, ``explain`` and the checks ``wake`` makes before acting read the run state and
the saved specs like a run does, but leave the ledger location exactly as it was: no
object written, and for a local path not even the directory created.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

from providers.store import ABSENT, ObjectStore, Versioned

log = logging.getLogger("offhours.store")


class ReadOnlyStore:
    """Reads from ``inner`` (None: an empty location); writes are dropped and counted."""

    def __init__(self, inner: ObjectStore | None, url: str) -> None:
        self.inner = inner
        self.url = url
        self.dropped: list[str] = []

    def put(self, key: str, data: bytes) -> None:
        self._drop(key)

    def put_if(self, key: str, data: bytes, version: str) -> str:
        self._drop(key)
        return version

    def delete(self, key: str) -> None:
        self._drop(key)

    def get(self, key: str) -> bytes | None:
        return self.inner.get(key) if self.inner else None

    def read(self, key: str) -> Versioned:
        return self.inner.read(key) if self.inner else Versioned(None, ABSENT)

    def list(self, prefix: str) -> Iterator[str]:
        if self.inner:
            yield from self.inner.list(prefix)

    def _drop(self, key: str) -> None:
        log.debug("read-only: not writing %s", key)
        self.dropped.append(key)


def open_readonly(url: str, endpoint_url: str = "") -> ReadOnlyStore:
    """The ledger location at ``url`` for reading only; a local directory that does not
    exist reads as empty and is not created."""
    from functions.wiring import open_store

    scheme = urlparse(url).scheme
    if scheme in ("", "file"):
        path = Path(url.removeprefix("file://")).expanduser()
        if not path.is_dir():
            return ReadOnlyStore(None, f"file://{path.resolve()}")
    return ReadOnlyStore(open_store(url, endpoint_url), url)


def holds_ledger(store: ObjectStore) -> bool:
    """Whether any run ever wrote here (a target's run state or a ledger row)."""
    # The few state objects first: a local store sorts a listing before its first key,
    # and the ledger's holds an object per run per target.
    return any(True for _ in store.list("state/")) or any(True for _ in store.list("ledger/"))
