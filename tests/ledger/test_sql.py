"""``ledger/sql.py``: the DuckDB statement run on hand-made ledgers, and what the Athena
and BigQuery statements must name to run at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from ledger_rows import booking, still_off, write_rows

from functions.cli.ledger_sql import ledger_accounts
from ledger.sql import duckdb_source, statement
from ledger.summary import window_summary
from providers.store import LocalStore

MON = datetime(2026, 11, 23, tzinfo=UTC)
END = MON + timedelta(days=7)


def at(day: int, hour: float) -> datetime:
    return MON + timedelta(days=day, hours=hour)


def sql_total(store: LocalStore) -> float:
    (total, *_) = duckdb.sql(statement("duckdb", MON, END, store.url)).fetchall()
    return float(total[6])


def test_duckdb_counts_each_period_once_clipped_and_never_a_snooze(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    night = booking("i-1", at(-1, 19), at(0, 8), 0.5)  # Sunday 19:00 -> Monday 08:00
    old = {k: v for k, v in booking("i-1", at(1, 19), at(2, 8), 0.5).items() if k != "x_PeriodId"}
    rows = [
        night,
        {**night, "x_RunId": "retry"},  # the same booking from a retried run
        still_off("i-1", at(0, 19), at(0, 23), 0.5),  # superseded by its booking below
        booking("i-1", at(0, 19), at(1, 8), 0.5),
        old,  # written before x_PeriodId: keyed by resource and start
        still_off("i-2", at(5, 0), at(7, 1), 2.0),  # still off past the window's end
        booking("i-3", at(2, 19), at(2, 21), 1.0, action="snooze"),  # a cost
    ]
    write_rows(store, rows)
    expected = (8 + 13 + 13) * 0.5 + 48 * 2.0
    assert sql_total(store) == pytest.approx(expected)
    assert sum(s.saved for s in window_summary(store, MON, END)) == pytest.approx(expected)


def test_a_tags_map_reads_any_key_and_an_empty_ledger_sums_to_zero(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    write_rows(store, [booking("i-1", at(9, 19), at(10, 8), 0.5, tags={"cost-center": "42"})])
    assert sql_total(store) == 0  # nothing in the window
    # Typed MAP(VARCHAR, VARCHAR), not the STRUCT DuckDB would infer from the keys it saw.
    query = f"SELECT Tags['cost-center'], Tags['team'] FROM {duckdb_source(store.url)}"
    assert duckdb.sql(query).fetchall() == [("42", None)]


def test_athena_names_every_account_and_bigquery_filters_its_partitions() -> None:
    keys = [
        "ledger/v1/provider=aws/account=111111111111/date=2026-11-23/r-eu-west-1.jsonl.gz",
        "ledger/v1/provider=aws/account=222222222222/date=2026-11-24/r-us-east-1.jsonl.gz",
    ]
    athena = statement("athena", MON, END, accounts=ledger_accounts(keys))
    assert "account IN ('111111111111', '222222222222')" in athena
    assert "from_iso8601_timestamp('2026-11-23T00:00:00Z')" in athena
    bigquery = statement("bigquery", MON, END, table="ds.offhours_ledger")
    # requirePartitionFilter (docs/bigquery-table.json): the date partitions are named.
    assert "DATE '2026-11-22' AND DATE '2026-12-14'" in bigquery
    assert "FROM ds.offhours_ledger" in bigquery
