"""What ``bill check`` counts as the ledger's claim: one off-period once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from ledger_rows import booking

from functions.bill.claims import claims

MON = datetime(2026, 11, 23, tzinfo=UTC)
END = MON + timedelta(days=7)


def hours(day: int, hour: float) -> datetime:
    return MON + timedelta(days=day, hours=hour)


def test_checkpoints_of_one_period_count_once_the_latest_wins() -> None:
    """Still-off rows carry the period's x_PeriodId and end at each run's observation;
    the booking when the resource returns ends later and wins."""
    rows = []
    for end in (hours(1, 0), hours(1, 4), hours(1, 8)):
        row = booking(
            "i-1", hours(0, 19), end, 1.0, action="still-off" if end < hours(1, 8) else "start"
        )
        row["x_PeriodId"] = "p-1"
        rows.append(row)
    found = claims(reversed(rows), MON, END)
    assert [(c.resource_id, c.hours) for c in found] == [("i-1", 13.0)]


def test_without_a_period_id_a_period_is_its_resource_and_start() -> None:
    rows = [
        booking("i-1", hours(0, 19), hours(1, 2), 1.0),
        booking("i-1", hours(0, 19), hours(1, 8), 1.0),
        booking("i-1", hours(1, 19), hours(2, 8), 1.0),
    ]
    assert sum(c.claimed for c in claims(rows, MON, END)) == pytest.approx(26.0)


def test_snoozes_and_failures_claim_nothing_and_the_window_clips() -> None:
    snooze = booking("i-1", hours(0, 19), hours(0, 21), 1.0, action="snooze")
    failed = booking("i-2", hours(0, 19), hours(1, 8), 1.0)
    failed["x_Outcome"] = "failed"
    weekend = booking("i-3", hours(4, 19), hours(7, 8), 2.0)
    found = claims([snooze, failed, weekend], MON, END)
    assert [(c.resource_id, c.hours) for c in found] == [("i-3", 53.0)]


def test_a_period_still_off_claims_up_to_its_last_checkpoint() -> None:
    """No row, no claim: time still off counts only as far as a run wrote it down."""
    assert claims([], MON, END) == []
    seen = booking("i-4", hours(4, 19), hours(5, 12), 1.0, action="still-off")
    later = booking("i-4", hours(4, 19), hours(5, 20), 1.0, action="still-off")
    found = claims([seen, later], MON, END)
    assert [(c.resource_id, c.hours) for c in found] == [("i-4", 25.0)]
