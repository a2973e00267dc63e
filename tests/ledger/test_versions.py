"""Readers take rows of the layout this offhours writes, with any later-added column
filled; rows of another version (a newer offhours, or none) are refused with a clear
error, never guessed at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ledger_rows import booking, write_rows

from ledger.book import encode
from ledger.summary import window_summary
from ledger.versions import LedgerVersionError, upgrade, upgraded
from providers.store import LocalStore

MON = datetime(2026, 11, 23, tzinfo=UTC)


def test_current_row_missing_an_added_column_gets_its_empty_value() -> None:
    row = booking("i-1", MON, MON + timedelta(hours=1), 1.0)
    del row["x_Detail"], row["Tags"], row["ListUnitPrice"]
    upgraded_row = upgrade(row)
    assert upgraded_row["x_Detail"] == ""
    assert upgraded_row["Tags"] == {}
    assert upgraded_row["ListUnitPrice"] is None
    assert "x_Detail" not in row  # the input is not changed


def test_a_current_row_passes_through_unchanged() -> None:
    row = booking("i-1", MON, MON + timedelta(hours=1), 1.0)
    assert list(upgraded([row])) == [row]


def test_row_from_a_newer_offhours_is_refused() -> None:
    row = {**booking("i-1", MON, MON + timedelta(hours=1), 1.0), "x_SchemaVersion": "v2"}
    with pytest.raises(LedgerVersionError, match="schema v2; this offhours reads v1"):
        upgrade(row)


def test_a_row_without_a_schema_version_is_refused() -> None:
    """No release wrote rows without ``x_SchemaVersion``: such a row is not guessed at."""
    row = booking("i-1", MON, MON + timedelta(hours=1), 1.0)
    del row["x_SchemaVersion"]
    with pytest.raises(LedgerVersionError, match="schema none"):
        list(upgraded([row]))


def test_a_newer_object_in_the_store_stops_the_report(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    write_rows(store, [booking("i-new", MON + timedelta(hours=19), MON + timedelta(hours=32), 1.0)])
    newer = {**booking("i-v2", MON, MON + timedelta(hours=2), 1.0), "x_SchemaVersion": "v2"}
    store.put(
        "ledger/v1/provider=aws/account=111111111111/date=2026-11-24/newer.jsonl.gz",
        encode([newer]),
    )
    with pytest.raises(LedgerVersionError, match="upgrade offhours"):
        window_summary(store, MON, MON + timedelta(days=7))
