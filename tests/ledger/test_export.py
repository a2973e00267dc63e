"""``offhours ledger export``: the exported rows are the ledger's rows, in both formats."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ledger_rows import booking, parse_csv_row, problem, write_rows

from functions.cli.main import main
from ledger.book import read_records
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


FORMULAS = [
    '=HYPERLINK("https://evil.example/t","click")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "'=already quoted",
]


def test_tag_values_are_text_in_the_csv_never_formulas(tmp_path: Path) -> None:
    """Issue 22: ``=HYPERLINK(…)`` in a tag was a live formula in ``ledger export -o csv``.
    Every text cell that starts like a formula (OWASP's CSV injection list) gets a
    leading ``'``; the round trip through ``parse_csv_row`` still gives the ledger's rows."""
    store = LocalStore(tmp_path / "ledger")
    rows = [
        booking(
            f"i-{n}",
            MON + timedelta(hours=19),
            MON + timedelta(hours=32),
            0.5,
            name=text,
            schedule=text,
            tags={"team": text},
        )
        for n, text in enumerate(FORMULAS)
    ]
    write_rows(store, rows)
    args = ["ledger", "export", "--from", "2026-11-23", "--to", "2026-11-29"]
    out = tmp_path / "rows.csv"
    assert main([*args, "--format", "csv", "--out", str(out), "--ledger", str(store.root)]) == 0
    with out.open(encoding="utf-8", newline="") as exported_file:
        records = list(csv.DictReader(exported_file))
    assert len(records) == len(FORMULAS)
    for record in records:
        for name, cell in record.items():
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), (name, cell)
            assert not cell.startswith("-") or name in ("ListUnitPrice",), (name, cell)
        assert record["ResourceName"].startswith("'")
    exported = [parse_csv_row(r) for r in records]
    assert sorted(exported, key=_key) == sorted(_in_range(store), key=_key)
    assert {r["ResourceName"] for r in exported} == set(FORMULAS)


def test_plan_csv_output_writes_names_as_text() -> None:
    """The CLI's ``-o csv`` (plan, run, ledger show) shares the export's rule."""
    from functions.cli.display import write_csv

    out = io.StringIO(newline="")
    records = [{"name": text, "hours": -1.5, "n": 3} for text in FORMULAS]
    write_csv(["name", "hours", "n"], records, out)
    read = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert [r["name"] for r in read] == ["'" + text for text in FORMULAS]
    assert {r["hours"] for r in read} == {"-1.5"} and {r["n"] for r in read} == {"3"}
