"""``ledger verify`` finds what the ledger promises never to contain, and the readers
name a damaged object instead of ending in a traceback."""

from __future__ import annotations

import gzip
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ledger.book import LedgerReadError, encode, object_key, read_records
from ledger.record import Row
from ledger.verify import verify
from providers.store import LocalStore

T0 = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)


def row(start: datetime, end: datetime, action: str = "start", **changes: Any) -> dict[str, Any]:
    base = Row(
        run_id="r",
        recorded_at=end,
        provider="aws",
        account="1",
        region="eu-west-1",
        kind="ec2",
        resource_id="i-1",
        resource_name="dev",
        size="t3.medium",
        service="",
        tags={},
        action=action,
        outcome="done",
        reason="",
        period_start=start,
        period_end=end,
        hourly_price=0.5,
    ).to_dict()
    return {**base, **changes}


def put(store: LocalStore, run: str, rows: list[dict[str, Any]]) -> str:
    key = object_key("aws", "1", "eu-west-1", T0, run)
    store.put(key, encode(rows))
    return key


def test_a_clean_ledger_verifies(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    put(store, "a", [row(T0, T0 + timedelta(hours=13))])
    put(store, "b", [row(T0 + timedelta(days=1), T0 + timedelta(days=1, hours=13))])
    verdict = verify(store)
    assert verdict.ok and (verdict.objects, verdict.rows) == (2, 2)


def test_a_booking_counted_twice_is_found(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    put(store, "a", [row(T0, T0 + timedelta(hours=13))])
    put(store, "b", [row(T0 + timedelta(hours=1), T0 + timedelta(hours=13))])
    problems = verify(store).problems
    assert len(problems) == 1 and "counted twice" in problems[0]


def test_a_stop_booked_twice_is_found(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    put(store, "a", [row(T0, T0, "stop")])
    put(store, "b", [row(T0, T0, "stop")])
    assert "doubles" in verify(store).problems[0]


def test_periods_ending_before_they_start_and_non_finite_numbers_are_found(
    tmp_path: Path,
) -> None:
    store = LocalStore(tmp_path)
    put(store, "a", [row(T0, T0 - timedelta(hours=1))])
    put(store, "b", [row(T0, T0, ListUnitPrice=-1.0)])
    problems = " | ".join(verify(store).problems)
    assert "before it starts" in problems and "ListUnitPrice" in problems


def test_non_json_numbers_are_refused_on_write_and_on_read(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        encode([row(T0, T0, ListUnitPrice=float("inf"))])
    store = LocalStore(tmp_path)
    key = object_key("aws", "1", "eu-west-1", T0, "nan")
    store.put(key, gzip.compress(b'{"ListUnitPrice": NaN}\n'))
    assert "unreadable" in verify(store).problems[0]


def test_a_truncated_object_is_named_by_every_reader(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "ledger")
    good = put(store, "a", [row(T0, T0 + timedelta(hours=13))])
    bad = put(store, "b", [row(T0 + timedelta(days=1), T0 + timedelta(days=1, hours=1))])
    data = store.get(bad) or b""
    store.put(bad, data[: len(data) // 2])
    with pytest.raises(LedgerReadError, match=bad.split("/")[-1]):
        list(read_records(store))
    unreadable: list[str] = []
    assert len(list(read_records(store, unreadable=unreadable))) == 1
    assert unreadable[0].startswith(bad) and good not in unreadable[0]
    assert not verify(store).ok
    for command in (
        ["ledger", "verify"],
        ["ledger", "export", "--from", "2026-11-23", "--to", "2026-11-30"],
    ):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "functions.cli.main",
                *command,
                "--ledger",
                str(tmp_path / "ledger"),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr and bad.split("/")[-1] in done.stderr


def test_a_snooze_in_the_savings_columns_is_found(tmp_path: Path) -> None:
    """Issue 26: a snooze row's kept-running hours are a cost; ``verify`` refuses them in
    ``x_AvoidedHours``/``x_EstimatedSavings`` (as rows of older builds carried them)."""
    store = LocalStore(tmp_path)
    snooze = row(T0, T0 + timedelta(hours=2), "snooze")
    assert (snooze["x_EstimatedSavings"], snooze["x_KeptRunningCost"]) == (0.0, 1.0)
    put(store, "a", [snooze])
    assert verify(store).ok
    put(store, "b", [{**snooze, "x_AvoidedHours": 2.0, "x_EstimatedSavings": 1.0}])
    (problem,) = verify(store).problems
    assert "snooze" in problem and "x_KeptRunningCost" in problem


def test_checkpoints_of_a_period_do_not_double_its_booking(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    put(store, "a", [row(T0, T0 + timedelta(hours=5), "still-off", x_Outcome="open")])
    put(store, "b", [row(T0, T0 + timedelta(hours=13))])
    assert verify(store).ok
