"""The day bars' arithmetic (``functions/jobs/digest_chart.py``): widths of the best day,
each cloud's share of a day, whole percents that never add up to more or less than 100."""

from __future__ import annotations

from datetime import date, timedelta

from functions.jobs.digest_chart import bar_width, daily_bars, shares

DAYS = [date(2026, 11, 23) + timedelta(days=i) for i in range(3)]


def test_shares_are_whole_percents_adding_up_to_100() -> None:
    assert shares([1.0, 1.0, 1.0]) == [33, 34, 33]
    assert shares([2.0, 0.0, 1.0]) == [67, 0, 33]
    assert shares([0.004, 99.996]) == [0, 100]  # a sliver rounds away rather than overflow
    assert shares([-5.0, 5.0]) == [0, 100]  # nothing negative is drawn
    assert shares([0.0, 0.0]) == [0, 0]


def test_anything_saved_shows_and_the_best_day_is_the_whole_width() -> None:
    assert bar_width(60.0, 60.0) == 100
    assert bar_width(0.1, 60.0) == 1
    assert bar_width(0.0, 60.0) == 0


def test_days_carry_each_clouds_part_in_the_given_order() -> None:
    daily = {"aws": [3.0, 0.0, 1.0], "gcp": [1.0, 0.0, 0.0]}
    first, empty, last = daily_bars(DAYS, daily)
    assert (first.day, first.saved, first.width) == (DAYS[0], 4.0, 100)
    assert [(s.provider, s.saved, s.width) for s in first.segments] == [
        ("aws", 3.0, 75),
        ("gcp", 1.0, 25),
    ]
    assert (empty.saved, empty.width, empty.segments) == (0.0, 0, ())
    assert (last.width, [s.provider for s in last.segments]) == (25, ["aws"])


def test_a_week_with_nothing_saved_has_no_bars() -> None:
    assert daily_bars(DAYS, {"aws": [0.0, 0.0, 0.0]}) == ()
    assert daily_bars(DAYS, {}) == ()
