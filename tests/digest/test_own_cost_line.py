"""The digest's line on what offhours itself cost: the week's run objects, summed and
priced (S3 Standard, us-east-1, 2026-12-07: $0.005 per 1,000 PUT/LIST, $0.0004 per 1,000
GET; Lambda $0.20 per million requests, $0.0000166667 per GB-second)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from html import unescape
from pathlib import Path

from digest_week import MON, NOW, Week

from functions.jobs.digest import render_digest
from functions.jobs.run_calls import book_run_calls, own_cost_line, read_week, run_key
from providers.metering import Meter, metered
from providers.store import LocalStore


def keep_run(store: LocalStore, at: datetime, writes: int, reads: int, url: str) -> None:
    """One whole-fleet run's object, written as a run writes it."""
    store.url = url  # the kind of store the run's calls were made on
    meter = Meter()
    meter.add("store_writes", writes - 1)  # the object's own PUT is the last one
    meter.add("store_reads", reads)
    lambda_run = {"lambda_invocations": 1, "lambda_mb_ms": 512 * 2000}
    book_run_calls(metered(store, meter), meter, f"run-{at:%d%H%M}", at, lambda_run, True)


def test_a_week_of_runs_in_one_line(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    for day in range(7):
        keep_run(store, MON + timedelta(days=day, hours=10), 2000, 1000, "s3://ledger/p")
    keep_run(store, MON - timedelta(hours=1), 99_000, 0, "s3://ledger/p")  # the week before
    store.put(run_key("damaged", MON + timedelta(hours=3)), b"{not json")

    week = read_week(store, MON, MON + timedelta(days=7))
    assert (week.runs, week.skipped) == (7, 1)
    assert week.counts == {
        "lambda_invocations": 7,
        "lambda_mb_ms": 7 * 512 * 2000,
        "store_reads": 7000,
        "store_writes": 14_000,
    }
    # 14,000 PUTs $0.07 + 7,000 GETs $0.0028 + 7 requests + 7 GB-s $0.000117
    assert own_cost_line(store, MON, MON + timedelta(days=7)) == (
        "offhours' own cost this week: $0.07 (14,000 store writes, 7,000 store reads, "
        "7 Lambda invocations, 7 runs; list prices of 2026-12-07, AWS us-east-1, "
        "GCP us-central1, Azure East US)."
    )


def test_no_run_kept_its_counts_no_line(tmp_path: Path) -> None:
    assert own_cost_line(LocalStore(tmp_path), MON, MON + timedelta(days=7)) == ""


def test_the_digest_shows_it_beside_the_savings(week: Week, tmp_path: Path) -> None:
    for day in range(7):
        keep_run(week.store, MON + timedelta(days=day, hours=9), 300_000, 4000, "s3://l/p")
    out = render_digest(week.store, MON, MON + timedelta(days=7), tmp_path / "out", now=NOW)
    text = (tmp_path / "out" / "digest.txt").read_text()
    html = unescape(next(p for p in out if p.suffix == ".html").read_text())
    # 2.1M PUTs at $0.005 per 1,000 = $10.50; 28,000 GETs = $0.0112.
    line = "offhours' own cost this week: $10.51 (2,100,000 store writes, 28,000 store reads"
    assert f"Running offhours: {line}" in text
    assert 'id="own-cost"' in html and line in html
    assert "$160.50" in text  # beside what it saved
    kept = json.loads(
        (Path(week.root) / run_key(f"run-{MON:%d}0900", MON + timedelta(hours=9))).read_text()
    )
    assert kept["store"] == "s3" and kept["calls"]["store_writes"] == 300_000
