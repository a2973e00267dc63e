"""Read rows of every schema version this offhours knows as the current one.

Each row carries ``x_SchemaVersion``. ``v1`` (``ledger/schema.py``, ``docs/ledger.md``) is
the first released layout and the only one so far. A row of another version raises,
because reporting savings from columns we do not understand would be a guess.

Additive changes (a new column) stay within a version: readers fill a missing column with
its empty value. A change that renames, retypes or drops a column is a new version, with a
step here that brings the older rows to it and a new prefix (``ledger/v2/``) so SQL tables
over ``ledger/v1/`` keep working.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ledger.record import SCHEMA_VERSION
from ledger.schema import COLUMNS

_EMPTY: dict[str, Any] = {"string": "", "double": None, "timestamp": "", "map": {}}


class LedgerVersionError(ValueError):
    """A row was written by another offhours than this one (a newer one, or none)."""


def upgrade(row: Mapping[str, Any]) -> dict[str, Any]:
    """The row in the current layout (a new dict; the input is not changed)."""
    version = row.get("x_SchemaVersion")
    if version != SCHEMA_VERSION:
        raise LedgerVersionError(
            f"ledger row has schema {version or 'none'}; this offhours reads "
            f"{SCHEMA_VERSION}: upgrade offhours to read this ledger"
        )
    current = dict(row)
    for col in COLUMNS:
        if col.name not in current:
            current[col.name] = {} if col.type == "map" else _EMPTY[col.type]
    return current


def upgraded(rows: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    for row in rows:
        # Fast path: current rows with every column are passed through as they are.
        if row.get("x_SchemaVersion") == SCHEMA_VERSION and len(row) >= len(COLUMNS):
            yield row if isinstance(row, dict) else dict(row)
        else:
            yield upgrade(row)
