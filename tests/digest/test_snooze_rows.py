"""Snooze rows in the savings arithmetic: a cost, counted once, never off time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from ledger_rows import summarize
from trend_week import END, MON, event, off, snooze


def test_a_snooze_alone_saves_nothing_and_costs_its_hours() -> None:
    rows = [snooze("i-a", MON + timedelta(hours=19), 3)]
    (item,) = summarize(rows, MON, END)
    assert (item.saved, item.hours_off) == (0.0, 0.0)
    assert (item.snoozes, item.snooze_hours, item.snooze_cost) == (1, 3.0, 3.0)
    assert item.active


def test_snoozes_beside_bookings_leave_the_savings_unchanged() -> None:
    booked = [off("i-a", MON + timedelta(days=1, hours=20), 10)]
    extra = [
        snooze("i-a", MON + timedelta(hours=19), 2),
        snooze("i-a", MON + timedelta(hours=19), 2, recorded=MON + timedelta(hours=20)),
        event("i-a", MON + timedelta(days=2), "snooze", "failed", reason="token expired"),
    ]
    (plain,) = summarize(booked, MON, END)
    (both,) = summarize(booked + extra, MON, END)
    assert both.saved == plain.saved == pytest.approx(10.0)
    assert both.hours_off == plain.hours_off
    assert (both.snoozes, both.snooze_cost) == (1, pytest.approx(2.0))  # the copy once


def test_a_snooze_across_the_week_end_is_priced_inside_the_window_only() -> None:
    rows = [snooze("i-a", END - timedelta(hours=1), 4), snooze("i-b", MON - timedelta(hours=1), 3)]
    items = {i.resource_id: i for i in summarize(rows, MON, END)}
    assert (items["i-a"].snoozes, items["i-a"].snooze_hours) == (1, 1.0)
    # Began the week before: that week counts it; this one only prices its 2 h inside.
    assert (items["i-b"].snoozes, items["i-b"].snooze_hours) == (0, 2.0)
