"""One ``bill check`` or ``bill opportunities`` from locations: the ledger's store, the
export's location, the window. The CLI and the weekly job call these."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from functions.bill import source
from functions.bill.check import BillCheck, check
from functions.bill.claims import claims
from functions.bill.opportunities import Opportunities, find
from ledger.summary import read_window
from ledger.versions import upgraded
from providers.store import ObjectStore
from schedules import Schedule
from schedules.protected import ProtectedTags

# Where the last check's result is kept, for the digest.
LAST_CHECK_KEY = "bill/v1/last-check.json"


def connect() -> Any:
    """A DuckDB connection; a clear error when the ``bill`` extra is not installed."""
    try:
        import duckdb
    except ModuleNotFoundError as err:
        raise source.BillSourceError(
            "bill commands need DuckDB: pip install 'offhours[bill]'"
        ) from err
    return duckdb.connect()


def check_bill(
    store: ObjectStore, bill: str, start: datetime, end: datetime, endpoint_url: str = ""
) -> BillCheck:
    """The ledger's claims for [start, end) against the export at ``bill``."""
    rows = list(upgraded(read_window(store, start, end)))
    found = claims(rows, start, end)
    con = connect()
    try:
        with source.local_copy(bill, endpoint_url) as path:
            source.load(con, path)
        return check(con, found, start, end)
    finally:
        con.close()


def opportunities(
    bill: str, schedule: Schedule, protected: ProtectedTags, endpoint_url: str = ""
) -> Opportunities:
    con = connect()
    try:
        with source.local_copy(bill, endpoint_url) as path:
            source.load(con, path)
        return find(con, schedule, protected)
    finally:
        con.close()


def save_check(store: ObjectStore, result: BillCheck) -> None:
    store.put(LAST_CHECK_KEY, json.dumps(result.to_json(), indent=1).encode())


def last_check(store: ObjectStore) -> dict[str, Any] | None:
    """The last saved check's JSON, or None (none saved, or unreadable)."""
    data = store.get(LAST_CHECK_KEY)
    if not data:
        return None
    try:
        found = json.loads(data)
    except ValueError:
        return None
    return found if isinstance(found, dict) and "totals" in found else None
