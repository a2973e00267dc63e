"""The demo's week keeps each run's billable calls (``runs/v1/``, functions/jobs/run_calls.py)
and its digest says what offhours itself cost beside what it saved (docs/own-cost.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from functions.cli.demo import run_demo
from providers.store import LocalStore

MONDAY = datetime(2026, 11, 16, tzinfo=UTC)


def test_the_demo_digest_says_what_the_week_of_runs_cost(tmp_path: Path) -> None:
    result = run_demo(tmp_path, MONDAY, providers=("azure",))
    store = LocalStore(str(tmp_path / "ledger"))
    kept = [json.loads(store.get(key) or b"{}") for key in store.list("runs/v1/")]
    assert len(kept) == result.runs  # one object per run
    # The week's: the run at the next Monday's midnight belongs to the next week.
    week = [r for r in kept if datetime.fromisoformat(r["at"]) < result.week_end]
    assert len(week) == 7 * 96
    writes = sum(record["calls"].get("store_writes", 0) for record in week)
    metrics = sum(record["calls"].get("azure_metrics_batches", 0) for record in week)
    assert writes > 0 and metrics > 0
    text = (tmp_path / "digest.txt").read_text(encoding="utf-8")
    line = next(line for line in text.splitlines() if line.startswith("Running offhours:"))
    assert f"{writes:,} store writes" in line and "672 runs" in line
