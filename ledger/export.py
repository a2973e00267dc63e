"""Export ledger rows as CSV, a JSON array or JSON Lines, streaming (one row in memory at a time).

Rows are upgraded to the current schema first. CSV columns are ``ledger/schema.py``'s
order, rows end in CRLF (RFC 4180); ``Tags`` is a JSON object in one cell, a null is an
empty cell, numbers are written as JSON writes them (``repr`` of the float), so a round
trip gives equal values.

A text cell that a spreadsheet would run as a formula (it starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return: OWASP's "CSV injection" list) is written with a
leading ``'``, which spreadsheets show as text; so is a cell that already starts with
``'``, so a reader removes exactly one and the round trip still holds. A tag
value such as ``=HYPERLINK(…)`` is text in the export, never a live formula.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, Literal, TextIO

from ledger.book import read_records
from ledger.schema import COLUMN_NAMES, column
from ledger.summary import read_window
from ledger.versions import upgraded
from providers.store import ObjectStore

Format = Literal["csv", "json", "jsonl"]


# Leading characters that make a spreadsheet cell a formula (and the escape itself).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")
# RFC 4180's CRLF: with it the writer quotes a cell holding a bare CR, which a "\n"
# terminator leaves unquoted (and a reader then splits the row there).
LINE_END = "\r\n"


def as_text(text: str) -> str:
    """A text cell a spreadsheet shows as text, never runs (see the module's note)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):  # as JSON writes it, not Python's True/False
        return "true" if value else "false"
    kind = column(name).type
    if kind == "map":
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    if isinstance(value, float):
        return repr(value)
    return as_text(str(value)) if kind == "string" else str(value)


def write_rows(rows: Iterable[Mapping[str, Any]], out: TextIO, fmt: Format) -> int:
    count = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator=LINE_END)
        writer.writerow(COLUMN_NAMES)
        for row in rows:
            writer.writerow([csv_cell(name, row.get(name)) for name in COLUMN_NAMES])
            count += 1
    elif fmt == "jsonl":
        for row in rows:
            out.write(json.dumps({n: row.get(n) for n in COLUMN_NAMES}, separators=(",", ":")))
            out.write("\n")
            count += 1
    elif fmt == "json":
        count = _json_array(rows, out)
    else:
        raise ValueError(f"unknown export format {fmt!r} (csv, json or jsonl)")
    return count


def _json_array(rows: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    """One JSON array, written a row at a time (the rows are never all in memory)."""
    count = 0
    out.write("[")
    for row in rows:
        out.write(",\n" if count else "\n")
        out.write(json.dumps({n: row.get(n) for n in COLUMN_NAMES}, separators=(",", ":")))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def export(
    store: ObjectStore,
    since: date,
    until: date,
    out: TextIO,
    fmt: Format,
) -> int:
    """Rows of the date partitions ``since``..``until`` (inclusive, UTC run dates)."""
    return write_rows(upgraded(read_records(store, since, until)), out, fmt)


def export_window(
    store: ObjectStore,
    start: datetime,
    end: datetime,
    out: TextIO,
    fmt: Format,
) -> int:
    """The rows that count for the window [start, end), as the digest reads them: a row
    whose charge period overlaps it (wherever it was booked; still-off checkpoints
    included, each period's latest ``ChargePeriodEnd`` counting), or a problem recorded
    in it."""
    rows = upgraded(read_window(store, start, end))
    return write_rows((r for r in rows if _in(r, start, end)), out, fmt)


def _in(row: Mapping[str, Any], start: datetime, end: datetime) -> bool:
    s, e = start.timestamp(), end.timestamp()
    if row["x_Action"] == "skip" or row["ChargePeriodStart"] == row["ChargePeriodEnd"]:
        recorded: str = row.get("x_RecordedAt") or ""
        return bool(recorded) and s <= datetime.fromisoformat(recorded).timestamp() < e
    begin = datetime.fromisoformat(row["ChargePeriodStart"]).timestamp()
    finish = datetime.fromisoformat(row["ChargePeriodEnd"]).timestamp()
    return begin < e and finish > s
