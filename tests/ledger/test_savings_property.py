"""Property: savings booked from the ledger equal the integral of price over off time.

Each example draws, per resource, a true on/off timeline (disjoint off intervals, each
with its own hourly price or none), then writes it the messy ways the job can: an off
interval booked in several pieces, the same row written twice (a retried run that
produced a second object), an extra row covering part of an interval (a second schedule,
an overlapping run), stop rows and problem rows that book nothing, all in random order.
The report must rebuild the timeline: per local day of the reporting time zone (DST days
included), money = sum of price x off hours that day, each hour once.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_rows import booking, problem, summarize

TZ = "Europe/London"
ZONE = ZoneInfo(TZ)
# Weeks with a 23-hour Sunday (DST starts) and a 25-hour Sunday (DST ends).
WEEKS = (date(2026, 3, 23), date(2026, 10, 19), date(2026, 11, 23))
PRICES = (None, 0.0416, 1.006, 3.06, 0.5)
MINUTES = 9 * 24 * 60  # timelines span the week plus a day either side


@st.composite
def timeline(draw: Any) -> list[tuple[int, int, float | None]]:
    """Disjoint off intervals as minute offsets from the day before the week."""
    points = sorted(draw(st.sets(st.integers(0, MINUTES), min_size=0, max_size=12)))
    if len(points) % 2:
        points = points[:-1]
    pairs = list(zip(points[::2], points[1::2], strict=True))
    return [(a, b, draw(st.sampled_from(PRICES))) for a, b in pairs]


@st.composite
def messy_rows(
    draw: Any, rid: str, base: datetime, intervals: list[tuple[int, int, float | None]]
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def at(minute: int) -> datetime:
        return base + timedelta(minutes=minute)

    for a, b, price in intervals:
        rows.append(booking(rid, at(a), at(a), price, action="stop"))  # books nothing
        cuts = sorted(draw(st.sets(st.integers(a + 1, b - 1), max_size=2))) if b - a > 2 else []
        bounds = [a, *cuts, b]
        for lo, hi in itertools.pairwise(bounds):
            row = booking(rid, at(lo), at(hi), price)
            rows.append(row)
            if draw(st.booleans()):  # retried run: the same booking in a second object
                rows.append(dict(row))
        if draw(st.booleans()):  # a second schedule booked part of the same off time
            lo = draw(st.integers(a, b - 1))
            hi = draw(st.integers(lo + 1, b))
            late = draw(st.integers(-600, 600))
            rows.append(booking(rid, at(lo), at(hi), price, recorded=at(hi + late)))
    if draw(st.booleans()):
        rows.append(problem(rid, at(draw(st.integers(0, MINUTES))), "bad schedule tag"))
    return rows


def expected_per_day(
    base: datetime, intervals: list[tuple[int, int, float | None]], monday: date
) -> tuple[list[float], list[float], float]:
    """Independent arithmetic: overlap of each interval with each local day, in datetimes."""
    money, hours = [0.0] * 7, [0.0] * 7
    unpriced = 0.0
    for i in range(7):
        day = monday + timedelta(days=i)
        lo = datetime.combine(day, time(), ZONE).astimezone(UTC)
        hi = datetime.combine(day + timedelta(days=1), time(), ZONE).astimezone(UTC)
        for a, b, price in intervals:
            start = max(lo, base + timedelta(minutes=a))
            end = min(hi, base + timedelta(minutes=b))
            h = max(0.0, (end - start).total_seconds() / 3600)
            hours[i] += h
            if price is None:
                unpriced += h
            else:
                money[i] += h * price
    return money, hours, unpriced


@settings(max_examples=120, deadline=None)
@given(
    monday=st.sampled_from(WEEKS),
    timelines=st.lists(timeline(), min_size=1, max_size=3),
    data=st.data(),
)
def test_booked_savings_equal_integral_of_price_over_off_time(
    monday: date, timelines: list[list[tuple[int, int, float | None]]], data: Any
) -> None:
    start = datetime.combine(monday, time(), ZONE)
    end = datetime.combine(monday + timedelta(days=7), time(), ZONE)
    base = start.astimezone(UTC) - timedelta(days=1)
    rows: list[dict[str, Any]] = []
    for n, intervals in enumerate(timelines):
        rows.extend(data.draw(messy_rows(f"i-{n}", base, intervals)))
    rows = data.draw(st.permutations(rows))

    items = {s.resource_id: s for s in summarize(rows, start, end, TZ)}

    for n, intervals in enumerate(timelines):
        money, hours, unpriced = expected_per_day(base, intervals, monday)
        item = items.get(f"i-{n}")
        if item is None:
            assert sum(hours) == 0
            continue
        assert item.daily_saved == [pytest.approx(m, abs=1e-9) for m in money]
        assert item.daily_hours == [pytest.approx(h, abs=1e-9) for h in hours]
        assert abs(item.saved - sum(money)) < 1e-9
        assert abs(item.hours_off - sum(hours)) < 1e-9
        assert abs(item.unpriced_hours - unpriced) < 1e-9
