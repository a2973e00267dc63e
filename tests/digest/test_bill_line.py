"""Without DuckDB (a cloud function's package) the digest shows the last bill check kept
in the ledger's store, with that check's own window; with no check kept, nothing."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from functions.jobs.digest_bill import bill_line
from providers.store import LocalStore

START, END = datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)


def test_the_last_kept_check_without_duckdb(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setitem(sys.modules, "duckdb", None)
    store = LocalStore(tmp_path)
    assert bill_line(store, "s3://billing/focus/", START, END) == ""
    kept = {
        "window": {
            "start": "2026-11-16T00:00:00Z",
            "end": "2026-11-23T00:00:00Z",
            "covered": False,
            "provisional": True,
        },
        "resources": [],
        "totals": {
            "claimed": 100.0,
            "confirmed": 80.0,
            "net_savings": 80.0,
            "billed_while_off": 1.5,
        },
    }
    store.put("bill/v1/last-check.json", json.dumps(kept).encode())
    assert bill_line(store, "s3://billing/focus/", START, END) == (
        "The bill confirms $80.00 of $100.00 claimed (80%) for 2026-11-16 to 2026-11-23; "
        "$1.50 billed while off; the bill does not cover the whole window yet; "
        "the bill is still provisional."
    )


def test_no_bill_configured_says_nothing(tmp_path: Path) -> None:
    assert bill_line(LocalStore(tmp_path), "", START, END) == ""
