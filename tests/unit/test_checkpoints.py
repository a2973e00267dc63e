"""Still-off checkpoints (pure): what a run saw off, at most once per interval per target,
and one period id from the stop through every checkpoint to the booking."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from functions.jobs.bookings import book_results, record_intents
from functions.jobs.checkpoints import still_off_rows
from ledger.run_state import TargetState
from providers.base import Action, Decision, Outcome, Price, Resource, ResourceState, Result

T0 = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
BOX = Resource(
    provider="aws",
    account="123456789012",
    region="eu-west-1",
    kind="ec2",
    id="i-1",
    name="dev-1",
    tags={"schedule": "office-hours"},
    state=ResourceState.RUNNING,
    price=Price(2.0, "USD", "bundled"),
)
OFF = replace(BOX, state=ResourceState.STOPPED)


def act(state: TargetState, action: Action, at: datetime, run: str) -> list[dict]:
    record_intents(state, run, {BOX.key: (action.value, BOX, "office-hours")}, at)
    result = Result(Decision(BOX, action, "office-hours"), Outcome.DONE, at)
    return book_results([result], state, None, run)


def test_checkpoints_come_hourly_with_the_savings_so_far_and_the_period_id() -> None:
    state = TargetState()
    (stop,) = act(state, Action.STOP, T0, "r0")
    assert still_off_rows([OFF], state, T0, "r0") == []  # the period opens now: nothing yet
    seen = []
    for minutes in range(15, 181, 15):  # runs every 15 minutes until 22:00
        at = T0 + timedelta(minutes=minutes)
        seen += still_off_rows([OFF], state, at, f"r{minutes}")
    assert [r["ChargePeriodEnd"] for r in seen] == [
        "2026-11-23T20:00:00Z",
        "2026-11-23T21:00:00Z",
        "2026-11-23T22:00:00Z",
    ]
    last = seen[-1]
    assert (last["x_Action"], last["x_Outcome"]) == ("still-off", "open")
    assert last["ChargePeriodStart"] == "2026-11-23T19:00:00Z"
    assert (last["x_AvoidedHours"], last["x_EstimatedSavings"]) == (3.0, 6.0)
    (start,) = act(state, Action.START, T0 + 13 * HOUR, "r1")
    assert {r["x_PeriodId"] for r in seen} == {stop["x_PeriodId"]} == {start["x_PeriodId"]}
    assert start["ChargePeriodEnd"] > last["ChargePeriodEnd"]  # the booking supersedes them
    assert still_off_rows([BOX], state, T0 + 14 * HOUR, "r2") == []  # nothing off any more


def test_only_what_the_run_saw_off_is_checkpointed() -> None:
    state = TargetState()
    act(state, Action.STOP, T0, "r0")
    # Not discovered (a kind failing), or found running (started by hand, booked by
    # observe before this): no claim beyond the last run that saw it off.
    assert still_off_rows([], state, T0 + HOUR, "r1") == []
    assert still_off_rows([BOX], state, T0 + 2 * HOUR, "r2") == []
    (row,) = still_off_rows([OFF], state, T0 + 3 * HOUR, "r3")
    assert row["x_AvoidedHours"] == 3.0


def test_an_interval_of_zero_checkpoints_every_run() -> None:
    state = TargetState()
    act(state, Action.STOP, T0, "r0")
    ends = [
        r["ChargePeriodEnd"]
        for m in (15, 30)
        for r in still_off_rows([OFF], state, T0 + timedelta(minutes=m), "r", timedelta(0))
    ]
    assert ends == ["2026-11-23T19:15:00Z", "2026-11-23T19:30:00Z"]
