"""Property: the DuckDB statement of ``offhours ledger sql`` gives the digest's savings.

Each example draws, per resource, disjoint off-periods, each booked (the resource came
back) or still open (only still-off checkpoints), written the ways the job writes them:
checkpoints at random instants before the booking, bookings written twice (a retried
run), snooze rows (a cost) beside them, all in random objects. Over the week, the
statement's total and per-resource savings must equal ``ledger/summary.py``'s, and both
the integral of price over the off time that runs observed, clipped to the week.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from ledger_rows import booking, still_off, summarize, write_rows

from ledger.sql import statement
from ledger.summary import window_summary
from providers.store import LocalStore

MON = datetime(2026, 11, 23, tzinfo=UTC)
END = MON + timedelta(days=7)
BASE = MON - timedelta(days=1)
MINUTES = 9 * 24 * 60
PRICES = (None, 0.0416, 1.006, 3.06)


@st.composite
def resource_rows(draw: Any, rid: str) -> tuple[list[dict[str, Any]], float]:
    """A resource's rows, and what they must be worth over the week."""
    points = sorted(draw(st.sets(st.integers(0, MINUTES), max_size=8)))
    points = points[: len(points) // 2 * 2]
    rows: list[dict[str, Any]] = []
    worth = 0.0
    for a, b in zip(points[::2], points[1::2], strict=True):
        price = draw(st.sampled_from(PRICES))
        start, end = BASE + timedelta(minutes=a), BASE + timedelta(minutes=b)
        rows.append(booking(rid, start, start, price, action="stop"))
        for seen in sorted(draw(st.sets(st.integers(a + 1, b), max_size=3))):
            rows.append(still_off(rid, start, BASE + timedelta(minutes=seen), price))
        if draw(st.booleans()):  # booked: the resource came back at ``end``
            rows += [booking(rid, start, end, price)] * draw(st.integers(1, 2))
        elif rows[-1]["x_Action"] == "still-off":  # open: claimed up to the last checkpoint
            end = datetime.fromisoformat(rows[-1]["ChargePeriodEnd"])
        else:
            end = start  # open and never seen since: nothing claimed
        if draw(st.booleans()):
            rows.append(booking(rid, end, end + timedelta(hours=2), price, action="snooze"))
        clipped = (min(end, END) - max(start, MON)).total_seconds() / 3600
        worth += max(0.0, clipped) * (price or 0.0)
    return rows, worth


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(["i-1", "i-2", "i-3"]), min_size=1, max_size=3, unique=True), st.data()
)
def test_sql_equals_the_summary_and_the_observed_integral(rids: list[str], data: Any) -> None:
    rows: list[dict[str, Any]] = []
    worth: dict[str, float] = {}
    for rid in rids:
        mine, worth[rid] = data.draw(resource_rows(rid))
        rows += mine
    assume(rows)  # no ledger at all is refused before any SQL (``ledger sql``)
    rows = data.draw(st.permutations(rows))
    with tempfile.TemporaryDirectory() as root:
        store = LocalStore(root)
        write_rows(store, rows)
        (total, *per) = duckdb.sql(statement("duckdb", MON, END, store.url)).fetchall()
        items = window_summary(store, MON, END)
    assert total[6] == pytest.approx(sum(worth.values()), abs=1e-6)
    assert sum(i.saved for i in items) == pytest.approx(total[6], abs=1e-6)
    assert {r[3]: r[6] for r in per if r[6]} == pytest.approx(
        {i.resource_id: i.saved for i in items if i.saved}, abs=1e-6
    )
    assert sum(i.saved for i in summarize(rows, MON, END)) == pytest.approx(total[6], abs=1e-6)
