"""The digest's numbers out of SQL: DuckDB over a ledger the real job wrote on moto's EC2.

A simulated week of hourly runs (the scheduling job, moto's EC2, the local store): boxes
on office hours, one started by hand in its off time, one stop-only box still off when
the runs end. ``offhours ledger sql --engine duckdb`` must give the digest's total and
``ledger show``'s per-resource savings to the cent, and a week in which no run happened
claims $0 in all three (issue 26).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from functions.cli.main import main
from functions.jobs.digest import DigestSettings, run_digest
from functions.jobs.reconcile import reconcile
from functions.settings import Settings
from functions.wiring import build_job, connect
from sandbox.aws_fleet import Box, launch, set_launch_time

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)  # 2026-W48
WEB = {"schedule": "office-hours", "team": "web"}
LAST_RUN = MONDAY + timedelta(days=7, hours=2)  # the runs stop early on Monday of W49


@pytest.fixture
def ledger(ec2: Any, tmp_path: Path, clock: Any) -> Iterator[str]:
    root = str(tmp_path / "ledger")
    settings = Settings(providers=("aws",), ledger=root, kinds=("ec2",)).replace(
        aws_regions=("eu-west-1",)
    )
    job = build_job(settings, clock, connections={"aws": connect(settings, "aws")})
    boxes = [launch(ec2, Box(name, "t3.large", WEB)) for name in ("dev-a", "dev-b")]
    launch(ec2, Box("batch", "m5.xlarge", {"schedule": "stop-only 19:00 UTC"}))
    for box in boxes:
        set_launch_time(box, MONDAY - timedelta(days=3))
    step = MONDAY
    while step <= LAST_RUN:
        if step == MONDAY + timedelta(days=1, hours=21):
            ec2.start_instances(InstanceIds=[boxes[1]])  # started by hand on Tuesday night
            set_launch_time(boxes[1], step)
        clock.now = step
        reconcile(job)
        step += timedelta(hours=1)
    yield root


def sql_rows(root: str, week: str, capsys: pytest.CaptureFixture[str]) -> list[tuple[Any, ...]]:
    assert main(["ledger", "sql", "--engine", "duckdb", "--week", week, "--ledger", root]) == 0
    return duckdb.sql(capsys.readouterr().out.rstrip().rstrip(";")).fetchall()


def shown(root: str, week: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code = main(["ledger", "show", "--week", week, "--ledger", root, "-o", "json"])
    assert code == 0
    result: dict[str, Any] = json.loads(capsys.readouterr().out)
    return result


def digest_total(root: str, week: str) -> float:
    now = datetime(2026, 12, 20, tzinfo=UTC)
    run = run_digest(DigestSettings(ledger=root), week, False, None, now=now)
    return float(run.digest.overall.report.totals.saved)


def test_duckdb_statement_gives_the_digest_total_to_the_cent_and_nothing_unobserved(
    ledger: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (total, *resources) = sql_rows(ledger, "2026-W48", capsys)
    assert total[:5] == (None, None, None, None, None)
    show = shown(ledger, "2026-W48", capsys)
    assert (
        round(total[6], 2) == show["total"]["saved"] == round(digest_total(ledger, "2026-W48"), 2)
    )
    by_id = {r["id"]: r for r in show["resources"]}
    assert {r[3] for r in resources} == set(by_id)
    for row in resources:
        assert round(row[6], 2) == by_id[row[3]]["saved"]
        assert row[5] == pytest.approx(by_id[row[3]]["hours_off"], abs=1e-6)
    hours = {r["name"]: r["hours_off"] for r in show["resources"]}
    # Monday until 08:00 (the first run stops it), four weeknights of 13 h, and the
    # weekend from Friday 19:00 (booked the next Monday at 08:00).
    assert hours["dev-a"] == pytest.approx(8 + 4 * 13 + 53)
    # Started by hand on Tuesday at 21:00 and stopped again when its grace hour ran out:
    # that night counts 2 h + 10 h, not 13.
    assert hours["dev-b"] == pytest.approx(8 + 3 * 13 + 2 + 10 + 53)
    # Stopped on Monday at 19:00, still off when the runs end: up to the week's end.
    assert hours["batch"] == pytest.approx(5 + 6 * 24)

    # W49: the runs stopped on Monday at 02:00; what was still off claims up to there.
    (total, *resources) = sql_rows(ledger, "2026-W49", capsys)
    show = shown(ledger, "2026-W49", capsys)
    assert (
        round(total[6], 2) == show["total"]["saved"] == round(digest_total(ledger, "2026-W49"), 2)
    )
    assert {r["name"]: r["hours_off"] for r in show["resources"]} == {
        "dev-a": 2.0,
        "dev-b": 2.0,
        "batch": 2.0,
    }
    assert {t["last_observed"] for t in show["targets"]} == {LAST_RUN.isoformat()}
    assert all(t["unobserved"] for t in show["targets"])  # read on Dec 20: no run since

    # W50: no run at all, nothing claimed by any of the three.
    (total,) = sql_rows(ledger, "2026-W50", capsys)
    assert total[5:7] == (0, 0)
    assert shown(ledger, "2026-W50", capsys)["total"]["saved"] == 0
    assert digest_total(ledger, "2026-W50") == 0
