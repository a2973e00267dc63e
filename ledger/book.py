"""Where ledger rows live in an object store, and how they are written and read.

Layout (Hive-partitioned so Athena, BigQuery and DuckDB read it as one table)::

    ledger/v1/provider=aws/account=123456789012/date=2026-11-28/<run-id>-<region>.jsonl.gz

One object per run per target. The key is deterministic: a retried run rewrites its own
object instead of adding a second one, and rows it already wrote are kept (merged by
resource and action), so a retry never double counts and never loses a row.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any

from ledger.record import SCHEMA_VERSION, record_identity
from ledger.store import ObjectStore

ROOT = "ledger/"


def run_id_for(at: datetime) -> str:
    """A run is named after the instant it was triggered for (UTC, second precision)."""
    return _utc(at).strftime("%Y%m%dT%H%M%SZ")


def object_key(provider: str, account: str, region: str, run_at: datetime) -> str:
    utc = _utc(run_at)
    return (
        f"{ROOT}{SCHEMA_VERSION}/provider={provider}/account={account}/"
        f"date={utc.date().isoformat()}/{run_id_for(utc)}-{region or 'global'}.jsonl.gz"
    )


def encode(records: Iterable[Mapping[str, Any]]) -> bytes:
    buffer = io.BytesIO()
    # mtime=0 keeps the bytes identical for identical rows (retries rewrite the same object).
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as handle:
        for record in records:
            handle.write(json.dumps(record, sort_keys=True, separators=(",", ":")).encode())
            handle.write(b"\n")
    return buffer.getvalue()


def decode(data: bytes) -> Iterator[dict[str, Any]]:
    # One object is one run of one target: small enough to inflate at once, which is
    # much faster than reading a GzipFile line by line.
    loads = json.loads
    for line in gzip.decompress(data).splitlines():
        if line.strip():
            yield loads(line)


def write_run(store: ObjectStore, key: str, records: list[dict[str, Any]]) -> int:
    """Write one run's rows for one target; merge with what a previous try wrote."""
    existing = store.get(key)
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    if existing is not None:
        for old in decode(existing):
            merged[record_identity(old)] = old
    for new in records:
        merged[record_identity(new)] = new
    if not merged:
        return 0
    store.put(key, encode(merged.values()))
    return len(merged)


def read_records(
    store: ObjectStore,
    since: date | None = None,
    until: date | None = None,
    provider: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Stream every row whose date partition lies in [since, until]; older schema
    versions are read too (each row carries its own ``x_SchemaVersion``)."""
    prefix = ROOT
    for key in store.list(prefix):
        parts = dict(p.split("=", 1) for p in key.split("/") if "=" in p)
        if provider and parts.get("provider") != provider:
            continue
        day = parts.get("date")
        if day is None or not key.endswith(".jsonl.gz"):
            continue
        if since and day < since.isoformat():
            continue
        if until and day > until.isoformat():
            continue
        data = store.get(key)
        if data is not None:
            yield from decode(data)


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("run instants must be zone-aware")
    return at.astimezone(UTC)
