"""Object stores: the one interface the ledger and the state objects are written through.

Keys are ``/``-separated relative paths. The cloud stores (S3, GCS, Azure Blob) live next
to it in ``providers/<cloud>/`` and satisfy the same protocol; the local directory store is
here, and so is the one text form of an instant inside a stored object (``iso``): the ledger,
the state objects and the price cache all write it.

The rooms depend one way: ``ledger/`` imports this module and nothing else from
``providers``, and nothing under ``providers/`` imports ``ledger/``
(``tests/runtime/test_import_direction.py``).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

# The version a conditional write names when the object must not exist yet.
ABSENT = ""


def iso(at: datetime) -> str:
    """UTC ISO 8601 with a ``Z``, to the second: the one timestamp format of stored objects."""
    if at.tzinfo is None:
        raise ValueError("stored timestamps must be zone-aware")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    """An instant written by ``iso`` (or any ISO 8601 text with its offset)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class StoreError(Exception):
    """The store could not be read or written (missing bucket, permissions, ...)."""


class StoreUnavailable(StoreError):
    """The store answered with a server error or could not be reached: a fault of the
    moment, not of the location (a retry later may work)."""


class Conflict(StoreError):
    """A conditional write lost a race: the object changed (or appeared) since it was read."""


@dataclass(frozen=True)
class Versioned:
    """An object's bytes and the version a conditional write must name to replace it
    (S3 ETag, GCS generation, Azure Blob ETag, a content hash on disk); ``ABSENT`` and
    ``data is None`` when there is no such object."""

    data: bytes | None
    version: str = ABSENT


class ObjectStore(Protocol):
    url: str

    def put(self, key: str, data: bytes) -> None:
        """Write (or replace) one object."""

    def get(self, key: str) -> bytes | None:
        """Read one object; None when it does not exist."""

    def read(self, key: str) -> Versioned:
        """Read one object with its version, for a later ``put_if``."""

    def put_if(self, key: str, data: bytes, version: str) -> str:
        """Write only if the object is still at ``version`` (``ABSENT``: does not exist
        yet); return the new version. Raise Conflict when another writer got there first."""

    def list(self, prefix: str) -> Iterator[str]:
        """Keys under ``prefix``, in lexical order."""

    def delete(self, key: str) -> None:
        """Remove one object; no error when it is already gone."""


def _check_key(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise StoreError(f"invalid object key {key!r}")
    return key


class LocalStore:
    """A directory on local disk. Writes are atomic (temp file + rename)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser().resolve()
        self.url = f"file://{self.root}"
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreError(f"cannot use {self.root} as a ledger location: {err}") from err

    def put(self, key: str, data: bytes) -> None:
        path = self.root / _check_key(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except OSError as err:
            raise StoreError(f"cannot write {path}: {err}") from err

    def get(self, key: str) -> bytes | None:
        path = self.root / _check_key(key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as err:
            raise StoreError(f"cannot read {path}: {err}") from err

    def read(self, key: str) -> Versioned:
        data = self.get(key)
        return Versioned(data, _content_version(data))

    def put_if(self, key: str, data: bytes, version: str) -> str:
        path = self.root / _check_key(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # One lock file per object serialises compare-and-replace across processes.
            with open(path.parent / f".lock-{path.name}", "a+b") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                current = _content_version(path.read_bytes() if path.exists() else None)
                if current != version:
                    raise Conflict(f"{key} changed since it was read")
                self.put(key, data)
        except OSError as err:
            raise StoreError(f"cannot write {path}: {err}") from err
        return _content_version(data)

    def list(self, prefix: str) -> Iterator[str]:
        base = self.root / prefix.rstrip("/") if prefix else self.root
        start = base if base.is_dir() else base.parent
        if not start.is_dir():
            return
        keys = (
            p.relative_to(self.root).as_posix()
            for p in start.rglob("*")
            if p.is_file() and not p.name.startswith((".tmp-", ".lock-"))
        )
        yield from sorted(k for k in keys if k.startswith(prefix))

    def delete(self, key: str) -> None:
        (self.root / _check_key(key)).unlink(missing_ok=True)


def _content_version(data: bytes | None) -> str:
    return ABSENT if data is None else hashlib.sha256(data).hexdigest()[:32]
