"""One ``bill check`` or ``bill opportunities`` from locations: the ledger's store, the
export's location, the window. The CLI and the weekly job call these."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from functions.bill import source
from functions.bill.check import BillCheck, check
from functions.bill.claims import OpenPeriod, claims
from functions.bill.opportunities import Opportunities, find
from ledger.run_state import StateError, TargetState
from ledger.summary import read_window
from ledger.versions import upgraded
from providers.bill_ids import identify, of_key
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
    rows = list(upgraded(read_window(store, start, end), identify))
    found = claims(rows, start, end, still_off(store))
    con = connect()
    try:
        with source.local_copy(bill, endpoint_url) as path:
            source.load(con, path)
        return check(con, found, start, end)
    finally:
        con.close()


def still_off(store: ObjectStore) -> Iterator[OpenPeriod]:
    """Every target's open off-periods, each as far as its target's last run."""
    for key in store.list("state/v1/"):
        if not key.endswith("/run-state.json"):
            continue
        data = store.get(key)
        try:
            state = TargetState.from_json(data) if data else None
        except StateError:
            continue  # kept aside and rebuilt by the next run; ``ledger verify`` names it
        if state is None or state.last_run is None:
            continue
        for resource_key, period in state.off.items():
            provider, kind = resource_key.split("/")[0], resource_key.split("/")[3]
            bill = of_key(resource_key)
            yield OpenPeriod(
                provider, bill.resource_id, kind, period.since, state.last_run, period.hourly_price
            )


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
