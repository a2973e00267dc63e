"""Savings arithmetic on hand-made ledgers: each hour once, local days, clipping, accrual."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from ledger_rows import booking, problem, save_state, still_off, summarize, write_rows

from ledger.run_state import OffPeriod, TargetState, state_key
from ledger.savings import reporting_days, union_pieces
from ledger.summary import window_summary
from providers.store import LocalStore

MON = datetime(2026, 11, 23, tzinfo=UTC)
WEEK_END = MON + timedelta(days=7)


def at(day: int, hour: float) -> datetime:
    return MON + timedelta(days=day, hours=hour)


def test_retried_run_and_second_schedule_count_each_hour_once() -> None:
    night = booking("i-1", at(0, 19), at(1, 8), 0.5)
    rows = [
        night,
        dict(night),  # the same booking in a second object (retry with a new run id)
        booking("i-1", at(0, 22), at(1, 6), 0.5, schedule="nights"),  # second schedule
    ]
    [item] = summarize(rows, MON, WEEK_END)
    assert item.hours_off == pytest.approx(13)
    assert item.saved == pytest.approx(6.5)


def test_overlapping_rows_with_different_prices_take_the_row_recorded_last() -> None:
    rows = [
        booking("i-1", at(0, 0), at(0, 10), 1.0, recorded=at(0, 10)),
        booking("i-1", at(0, 5), at(0, 15), 2.0, recorded=at(0, 16)),
    ]
    [item] = summarize(rows, MON, WEEK_END)
    assert item.hours_off == pytest.approx(15)
    assert item.saved == pytest.approx(5 * 1.0 + 10 * 2.0)


def test_interval_is_split_at_local_midnight_on_a_dst_day() -> None:
    # Europe/London, Sunday 2026-03-29 has 23 hours (01:00 -> 02:00 at 01:00 UTC).
    london = ZoneInfo("Europe/London")
    start, end = datetime(2026, 3, 23, tzinfo=london), datetime(2026, 3, 30, tzinfo=london)
    row = booking(
        "i-1", datetime(2026, 3, 28, 22, tzinfo=UTC), datetime(2026, 3, 30, 1, tzinfo=UTC), 1.0
    )
    [item] = summarize([row], start, end, "Europe/London")
    # Sat 22:00 UTC = 22:00 GMT; Sun is 23 h long; Mon 00:00 BST = Sun 23:00 UTC.
    assert item.daily_hours[5] == pytest.approx(2)
    assert item.daily_hours[6] == pytest.approx(23)
    assert item.hours_off == pytest.approx(25)  # 2 h after the window end are not counted


def test_reporting_days_have_23_and_25_hours_across_dst() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    spring = reporting_days(
        datetime(2026, 3, 29, tzinfo=berlin), datetime(2026, 3, 30, tzinfo=berlin), "Europe/Berlin"
    )
    assert spring.labels == (date(2026, 3, 29),)
    assert spring.hours == 23
    autumn = reporting_days(
        datetime(2026, 10, 25, tzinfo=berlin),
        datetime(2026, 10, 27, tzinfo=berlin),
        "Europe/Berlin",
    )
    assert autumn.labels == (date(2026, 10, 25), date(2026, 10, 26))
    assert autumn.bounds[1] - autumn.bounds[0] == 25 * 3600


def test_window_clips_and_unknown_price_counts_hours_not_money() -> None:
    rows = [
        booking("i-1", MON - timedelta(hours=5), at(0, 3), 2.0),  # 3 h inside
        booking("i-2", at(6, 20), WEEK_END + timedelta(hours=6), None),  # 4 h inside, no price
    ]
    items = {i.resource_id: i for i in summarize(rows, MON, WEEK_END)}
    assert items["i-1"].saved == pytest.approx(6.0)
    assert items["i-2"].hours_off == pytest.approx(4)
    assert items["i-2"].unpriced_hours == pytest.approx(4)
    assert items["i-2"].saved == 0
    assert not items["i-2"].price_known


def test_checkpoints_of_an_open_period_yield_to_its_later_booking(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    # Stopped Friday 19:00, seen off Saturday and Sunday night, booked Monday 08:00 (next
    # week's partition): the week counts Fri 19:00 -> Mon 00:00 once, none of it accruing.
    write_rows(store, [still_off("i-1", at(4, 19), at(5, 10), 1.0)])
    write_rows(store, [still_off("i-1", at(4, 19), at(6, 23), 1.0)])
    write_rows(store, [booking("i-1", at(4, 19), at(7, 8), 1.0)])
    [item] = window_summary(store, MON, WEEK_END)
    assert item.hours_off == pytest.approx(53)
    assert item.saved == pytest.approx(53)
    assert item.accrued_hours == 0


def test_still_off_resource_accrues_only_up_to_the_last_run_that_saw_it(tmp_path: Path) -> None:
    """Issue 26: a resource last seen off claims nothing after that run, and a week
    with no run claims nothing at all, whatever the state object says."""
    store = LocalStore(tmp_path)
    state = TargetState(
        off={
            "aws/1/eu-west-1/ec2/i-9": OffPeriod(at(2, 19), 0.5, "USD", "t", "office-hours", "stop")
        }
    )
    save_state(store, state_key("aws", "1", "eu-west-1"), state)
    assert window_summary(store, MON, WEEK_END) == []  # no run saw it off: nothing claimed
    write_rows(store, [still_off("i-9", at(2, 19), at(3, 6), 0.5)])
    write_rows(store, [still_off("i-9", at(2, 19), at(3, 7), 0.5)])
    [item] = window_summary(store, MON, WEEK_END)
    assert item.hours_off == pytest.approx(12)
    assert item.accrued_hours == pytest.approx(12)
    assert item.saved == pytest.approx(6)
    assert item.schedule == "office-hours"
    assert window_summary(store, WEEK_END, WEEK_END + timedelta(days=7)) == []


def test_problem_rows_are_reported_inside_the_window_only() -> None:
    rows = [
        problem("i-7", at(1, 9), "schedule 'mon-fry': unknown day"),
        problem("i-8", MON - timedelta(hours=2), "old problem, last week"),
    ]
    items = {i.resource_id: i for i in summarize(rows, MON, WEEK_END)}
    assert items["i-7"].problems == ["schedule 'mon-fry': unknown day"]
    assert items["i-8"].problems == []
    assert items["i-7"].hours_off == 0


def test_union_pieces_merges_adjacent_pieces_of_one_price() -> None:
    pieces = union_pieces([(0, 10, 1.0, 0), (10, 20, 1.0, 0), (15, 30, 2.0, 1)], 0, 100)
    assert [(p.start, p.end, p.price) for p in pieces] == [(0, 15, 1.0), (15, 30, 2.0)]


def test_naive_window_is_rejected() -> None:
    with pytest.raises(ValueError, match="zone-aware"):
        reporting_days(datetime(2026, 11, 23), datetime(2026, 11, 30), "UTC")
