"""``offhours ledger export``: the exported rows are the ledger's rows, in both formats."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ledger_rows import booking, problem, write_rows

from functions.cli.main import main
from ledger.book import read_records
from ledger.export import parse_csv_row
from providers.store import LocalStore

MON = datetime(2026, 11, 23, tzinfo=UTC)


@pytest.fixture
def ledger(tmp_path: Path) -> tuple[LocalStore, list[dict[str, Any]]]:
    store = LocalStore(tmp_path / "ledger")
    rows = [
        booking("i-1", MON + timedelta(hours=19), MON + timedelta(hours=32), 0.0416),
        booking(
            "i-2",
            MON + timedelta(hours=20),
            MON + timedelta(hours=33),
            None,
            provider="gcp",
            account="proj",
            region="europe-west4",
            kind="instances",
            tags={"team": "ml"},
        ),
        problem("i-3", MON + timedelta(days=2, hours=9), 'schedule "mon-fry", bad\nday'),
        booking("i-4", MON + timedelta(days=9), MON + timedelta(days=9, hours=5), 1.0),  # later
    ]
    write_rows(store, rows)
    return store, rows


def _in_range(store: LocalStore) -> list[dict[str, Any]]:
    return list(read_records(store, MON.date(), (MON + timedelta(days=6)).date()))


def _key(row: dict[str, Any]) -> tuple[str, str]:
    return row["ResourceId"], row["x_RecordedAt"]


def test_jsonl_export_rows_equal_the_ledger_rows(ledger: Any, tmp_path: Path) -> None:
    store, _ = ledger
    out = tmp_path / "rows.jsonl"
    code = main(
        [
            "ledger",
            "export",
            "--from",
            "2026-11-23",
            "--to",
            "2026-11-29",
            "--format",
            "jsonl",
            "--out",
            str(out),
            "--ledger",
            str(store.root),
        ]
    )
    assert code == 0
    exported = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(exported, key=_key) == sorted(_in_range(store), key=_key)
    assert len(exported) == 3  # the row of 2026-12-02 is outside the range


def test_csv_export_rows_equal_the_ledger_rows(
    ledger: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    store, _ = ledger
    code = main(
        [
            "ledger",
            "export",
            "--from",
            "2026-11-23",
            "--to",
            "2026-11-29",
            "--format",
            "csv",
            "--ledger",
            str(store.root),
        ]
    )
    assert code == 0
    records = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    exported = [parse_csv_row(r) for r in records]
    assert sorted(exported, key=_key) == sorted(_in_range(store), key=_key)


def test_export_refuses_a_reversed_range(ledger: Any, capsys: pytest.CaptureFixture[str]) -> None:
    store, _ = ledger
    code = main(
        [
            "ledger",
            "export",
            "--from",
            "2026-11-29",
            "--to",
            "2026-11-23",
            "--ledger",
            str(store.root),
        ]
    )
    assert code == 2
    assert "before --from" in capsys.readouterr().err


def test_json_export_is_one_array_of_the_ledger_rows(
    ledger: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """``-o json`` as every other command spells it: one JSON array, the same rows."""
    store, _ = ledger
    args = ["ledger", "export", "--from", "2026-11-23", "--to", "2026-11-29", "-o", "json"]
    code = main([*args, "--ledger", str(store.root)])
    assert code == 0
    exported = json.loads(capsys.readouterr().out)
    assert sorted(exported, key=_key) == sorted(_in_range(store), key=_key)
