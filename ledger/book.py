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
import secrets
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any

from ledger.record import SCHEMA_VERSION, record_identity
from providers.store import ObjectStore

ROOT = "ledger/"
# Parses one line of JSON text. ``decode`` uses the standard library's parser unless
# given a faster one (the digest passes orjson's: ``functions.jobs.digest.json_loads``).
Loads = Callable[[bytes], Any]


class LedgerReadError(ValueError):
    """One ledger object could not be read (truncated, not gzip, not JSON lines)."""


def run_id_for(at: datetime) -> str:
    """The instant a run was triggered for (UTC, second precision): the sortable part of
    its id."""
    return _utc(at).strftime("%Y%m%dT%H%M%SZ")


def new_run_id(at: datetime) -> str:
    """A run's id: its instant plus a random part, unique per invocation, so two runs
    triggered for the same second (a duplicate delivery, a manual run) never share one."""
    return f"{run_id_for(at)}-{secrets.token_hex(4)}"


def object_key(provider: str, account: str, region: str, run_at: datetime, run_id: str = "") -> str:
    utc = _utc(run_at)
    return (
        f"{ROOT}{SCHEMA_VERSION}/provider={provider}/account={account}/"
        f"date={utc.date().isoformat()}/{run_id or run_id_for(utc)}-{region or 'global'}.jsonl.gz"
    )


def encode(records: Iterable[Mapping[str, Any]]) -> bytes:
    buffer = io.BytesIO()
    # mtime=0 keeps the bytes identical for identical rows (retries rewrite the same object).
    # allow_nan=False: the ledger is strict JSON, which Athena and BigQuery require.
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as handle:
        for record in records:
            line = json.dumps(record, sort_keys=True, separators=(",", ":"), allow_nan=False)
            handle.write(line.encode())
            handle.write(b"\n")
    return buffer.getvalue()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def decode(data: bytes, loads: Loads | None = None) -> Iterator[dict[str, Any]]:
    """Rows of one object; LedgerReadError when it is not whole, strict JSON lines.

    ``loads``: a stricter, faster parser tried first, line by line; the standard one
    decides whenever it refuses a line (so the errors are the same). It must read what
    it accepts as ``json.loads`` does, except that a number is read as the ledger's
    columns type it (a double; orjson reads an integer beyond 64 bits as one)."""
    # One object is one run of one target: small enough to inflate at once, which is
    # much faster than reading a GzipFile line by line.
    try:
        raw = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as err:
        raise LedgerReadError(f"not a whole gzip object: {err}") from err
    rows = _scan_lines(raw) if loads is None else _loads_lines(raw, loads)
    return iter(rows if rows is not None else _parse_lines(raw))


def _loads_lines(raw: bytes, loads: Loads) -> list[dict[str, Any]] | None:
    """The rows when ``loads`` reads every line as one JSON object; None otherwise."""
    lines = raw.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    try:
        rows = [loads(line) for line in lines]
    except ValueError:
        return None
    return rows if all(type(row) is dict for row in rows) else None


def _scan_lines(raw: bytes) -> list[dict[str, Any]] | None:
    """The rows when every line is exactly one JSON object and nothing else, the way
    ``encode`` writes them; None for anything else, which ``_parse_lines`` then reads
    (or names the line that is wrong). One scan over the whole text: a third of the CPU
    of a ``json.loads`` per line, and the same parser, so the same rows."""
    try:
        text = raw.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return None
    scan = json.JSONDecoder(parse_constant=_reject_constant).raw_decode
    rows: list[dict[str, Any]] = []
    at, end = 0, len(text)
    try:
        while at < end:
            row, at = scan(text, at)
            if type(row) is not dict or (at < end and text[at] != "\n"):
                return None
            rows.append(row)
            at += 1
    except ValueError:
        return None
    return rows


def _parse_lines(raw: bytes) -> list[dict[str, Any]]:
    lines = raw.splitlines()
    rows = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line, parse_constant=_reject_constant)
        except ValueError as err:
            raise LedgerReadError(f"line {number}: {err}") from err
        if not isinstance(row, dict):
            raise LedgerReadError(f"line {number}: not a JSON object")
        rows.append(row)
    return rows


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
    unreadable: list[str] | None = None,
    account: str | None = None,
    suffix: str = "",
    loads: Loads | None = None,
) -> Iterator[dict[str, Any]]:
    """Stream every row whose date partition lies in [since, until]; older schema
    versions are read too (each row carries its own ``x_SchemaVersion``). ``loads``: see
    ``decode``.

    An object that cannot be read is skipped and named in ``unreadable`` ("key: why"),
    so one damaged object never hides the rest; without that list it raises
    LedgerReadError naming the object."""
    for key in ledger_keys(store, since, until, provider, account):
        if not key.endswith(suffix):
            continue
        data = store.get(key)
        if data is None:
            continue
        try:
            rows = decode(data, loads)
        except LedgerReadError as err:
            if unreadable is None:
                raise LedgerReadError(f"{store.url}/{key}: {err}") from err
            unreadable.append(f"{key}: {err}")
            continue
        yield from rows


def ledger_keys(
    store: ObjectStore,
    since: date | None = None,
    until: date | None = None,
    provider: str | None = None,
    account: str | None = None,
) -> Iterator[str]:
    """Ledger object keys in [since, until] (by date partition), in lexical order."""
    prefix = ROOT
    if provider:
        prefix = f"{ROOT}{SCHEMA_VERSION}/provider={provider}/"
        if account:
            prefix += f"account={account}/"
    for key in store.list(prefix):
        parts = dict(p.split("=", 1) for p in key.split("/") if "=" in p)
        if provider and parts.get("provider") != provider:
            continue
        if account and parts.get("account") != account:
            continue
        day = parts.get("date")
        if day is None or not key.endswith(".jsonl.gz"):
            continue
        if since and day < since.isoformat():
            continue
        if until and day > until.isoformat():
            continue
        yield key


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise ValueError("run instants must be zone-aware")
    return at.astimezone(UTC)
