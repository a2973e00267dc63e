"""The demo's generated bill (functions/bill/demo_bill.py) disagrees with its ledger in
exactly the three ways it promises, and ``bill check`` finds each."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from ledger_rows import booking, write_rows

from functions.bill import source
from functions.bill.check import check
from functions.bill.claims import claims
from functions.bill.demo_bill import export_rows, timelines
from ledger.book import read_records
from ledger.versions import upgraded
from providers.store import LocalStore

MON = datetime(2026, 11, 16, tzinfo=UTC)


def test_generated_bill_has_one_leak_one_commitment_one_missing(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "ledger")
    nights = [
        (MON + timedelta(days=d, hours=19), MON + timedelta(days=d + 1, hours=8)) for d in range(4)
    ]
    rows = [booking(f"i-{n}", s, e, 0.1 * (n + 1)) for n in range(4) for s, e in nights]
    write_rows(store, rows)
    end = MON + timedelta(days=7)
    found = timelines(store, MON, end)
    export = export_rows(found, MON, end)
    path = tmp_path / "bill.csv"
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(export[0]))
        writer.writeheader()
        writer.writerows(export)
    con = duckdb.connect()
    source.load(con, path)
    result = check(con, claims(upgraded(read_records(store)), MON, end), MON, end)
    status = {r.resource_id: r.status for r in result.resources}
    assert status == {
        "i-0": "billed-while-off",
        "i-1": "covered-by-commitment",
        "i-2": "not-in-bill",
        "i-3": "confirmed",
    }
    leak = next(r for r in result.resources if r.resource_id == "i-0")
    # Its first night, 19:00 to 08:00: thirteen whole hours billed while off.
    assert leak.billed_while_off == pytest.approx(13 * 0.1)
