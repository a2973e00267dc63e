"""Bookings from observation (pure): accepted actions confirmed or failed by the next
discovery, intents a dead run left, and rows that never go back in time."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from functions.jobs.bookings import book_results, observe, record_intents
from ledger.run_state import OffPeriod, TargetState
from providers.base import Action, Decision, Outcome, Price, Resource, ResourceState, Result

T0 = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)
BOX = Resource(
    provider="gcp",
    account="proj",
    region="europe-west4-a",
    kind="instances",
    id="vm-1",
    name="vm-1",
    tags={"schedule": "office-hours"},
    state=ResourceState.RUNNING,
    price=Price(2.0, "USD", "bundled"),
)
KINDS = {"instances"}


def acted(state: TargetState, action: Action, outcome: Outcome, at: datetime, run: str) -> list:
    record_intents(state, run, {BOX.key: (action.value, BOX, "office-hours")}, at)
    result = Result(Decision(BOX, action, "office-hours: off"), outcome, at)
    return book_results([result], state, None, run)


def test_an_accepted_stop_opens_its_period_only_when_observed_off() -> None:
    state = TargetState()
    rows = acted(state, Action.STOP, Outcome.ACCEPTED, T0, "r1")
    assert [r["x_Outcome"] for r in rows] == ["accepted"]
    assert state.off == {} and state.intents[BOX.key].accepted
    later = T0 + timedelta(minutes=15)
    confirmed = observe([replace(BOX, state=ResourceState.STOPPED)], KINDS, state, later, "r2")
    assert [(r["x_Action"], r["x_Outcome"]) for r in confirmed] == [("stop", "done")]
    assert confirmed[0]["ChargePeriodStart"] == "2026-11-23T19:00:00Z"  # the accepted instant
    assert state.off[BOX.key].since == T0 and not state.intents


def test_an_accepted_stop_found_running_is_failed_and_books_nothing() -> None:
    state = TargetState()
    acted(state, Action.STOP, Outcome.ACCEPTED, T0, "r1")
    rows = observe([BOX], KINDS, state, T0 + timedelta(minutes=15), "r2")
    assert [(r["x_Action"], r["x_Outcome"]) for r in rows] == [("stop", "failed")]
    assert "found running" in rows[0]["x_Error"]
    assert state.off == {} and not state.intents
    assert all(r["x_AvoidedHours"] == 0 for r in rows)


def test_a_transitional_resource_keeps_its_intent_until_it_settles() -> None:
    state = TargetState()
    acted(state, Action.STOP, Outcome.ACCEPTED, T0, "r1")
    moving = replace(BOX, state=ResourceState.TRANSITIONAL)
    assert observe([moving], KINDS, state, T0 + timedelta(minutes=15), "r2") == []
    assert BOX.key in state.intents


def test_an_accepted_start_closes_the_period_at_the_accepted_instant() -> None:
    state = TargetState(off={BOX.key: OffPeriod(T0, 2.0, "USD", "bundled", "office-hours", "stop")})
    morning = T0 + timedelta(hours=13)
    stopped = replace(BOX, state=ResourceState.STOPPED)
    record_intents(state, "r1", {BOX.key: ("start", stopped, "office-hours")}, morning)
    result = Result(Decision(stopped, Action.START, "on"), Outcome.ACCEPTED, morning)
    book_results([result], state, None, "r1")
    assert BOX.key in state.off  # not closed on the word of the request
    rows = observe([BOX], KINDS, state, morning + timedelta(minutes=15), "r2")
    assert rows[0]["x_AvoidedHours"] == 13.0 and rows[0]["x_EstimatedSavings"] == 26.0
    assert state.off == {}


def test_an_intent_of_a_dead_run_is_adopted_when_the_resource_changed() -> None:
    state = TargetState()
    record_intents(state, "dead", {BOX.key: ("stop", BOX, "office-hours")}, T0)
    rows = observe([replace(BOX, state=ResourceState.STOPPED)], KINDS, state, T0, "next")
    assert rows[0]["x_Outcome"] == "done" and "ended before recording" in rows[0]["x_Reason"]
    assert state.off[BOX.key].since == T0


def test_an_intent_of_a_dead_run_that_never_happened_is_dropped_silently() -> None:
    state = TargetState()
    record_intents(state, "dead", {BOX.key: ("stop", BOX, "office-hours")}, T0)
    assert observe([BOX], KINDS, state, T0, "next") == []
    assert not state.intents and not state.off


def test_a_result_whose_intent_another_run_resolved_is_not_booked_twice() -> None:
    state = TargetState()
    record_intents(state, "slow", {BOX.key: ("stop", BOX, "office-hours")}, T0)
    observe([replace(BOX, state=ResourceState.STOPPED)], KINDS, state, T0, "takeover")
    result = Result(Decision(BOX, Action.STOP, "off"), Outcome.DONE, T0)
    assert book_results([result], state, None, "slow") == []
    assert len(state.off) == 1


def test_nothing_is_booked_before_the_last_run() -> None:
    """A clock that went back: the floor (the last run) stamps the booking."""
    state = TargetState(off={BOX.key: OffPeriod(T0, 2.0, "USD", "bundled", "office-hours", "stop")})
    stopped = replace(BOX, state=ResourceState.STOPPED)
    week_ago = T0 - timedelta(days=7)
    record_intents(state, "r", {BOX.key: ("start", stopped, "")}, T0)
    result = Result(Decision(stopped, Action.START, "on"), Outcome.DONE, week_ago)
    rows = book_results([result], state, T0, "r")
    assert rows[0]["ChargePeriodEnd"] >= rows[0]["ChargePeriodStart"]
    assert rows[0]["x_AvoidedHours"] == 0
