"""Checking a whole ledger: every object readable and strict JSON, every row sane (a
snooze, a cost, never in the savings columns), no booking doubled, every state object
valid.

Pure over what the store returns; ``functions/cli/ledger_verify.py`` is the command.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ledger.book import LedgerReadError, decode, ledger_keys
from ledger.rebuild import resource_key
from ledger.record import OFF_ACTIONS, SNOOZE_ACTION, STILL_OFF_ACTION, parse_iso
from ledger.run_state import StateError, TargetState
from ledger.versions import LedgerVersionError, upgrade
from providers.store import ObjectStore

_NUMBERS = (
    "ListUnitPrice",
    "x_AvoidedHours",
    "x_EstimatedSavings",
    "x_KeptRunningHours",
    "x_KeptRunningCost",
)


@dataclass
class Verdict:
    objects: int = 0
    rows: int = 0
    states: int = 0
    pending_rows: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(store: ObjectStore) -> Verdict:
    verdict = Verdict()
    # resource -> booked periods (start, end, where) and confirmed stops (start -> where)
    booked: dict[str, list[tuple[str, str, str]]] = {}
    stops: dict[tuple[str, str], str] = {}
    for key in ledger_keys(store):
        verdict.objects += 1
        for number, row in _rows(store, key, verdict):
            verdict.rows += 1
            where = f"{key} row {number}"
            problem = _row_problem(row)
            if problem:
                verdict.problems.append(f"{where}: {problem}")
                continue
            rkey = resource_key(row)
            start, end = row["ChargePeriodStart"], row["ChargePeriodEnd"]
            if row["x_Action"] == STILL_OFF_ACTION:
                continue  # a checkpoint: superseded by its period's booking, never added
            if parse_iso(end) > parse_iso(start):
                # A snooze covers running time: it can only double another snooze.
                if row["x_Action"] == SNOOZE_ACTION:
                    rkey = f"{rkey} (kept running by request)"
                booked.setdefault(rkey, []).append((start, end, where))
            elif row["x_Action"] in OFF_ACTIONS and row["x_Outcome"] == "done":
                first = stops.setdefault((rkey, start), where)
                if first != where:
                    verdict.problems.append(f"{where}: stop at {start} doubles {first}")
    verdict.problems.extend(_overlaps(booked))
    _states(store, verdict)
    return verdict


def _rows(store: ObjectStore, key: str, verdict: Verdict) -> Iterator[tuple[int, dict[str, Any]]]:
    data = store.get(key)
    if data is None:
        return
    try:
        rows = list(decode(data))
    except LedgerReadError as err:
        verdict.problems.append(f"{key}: unreadable: {err}")
        return
    for number, row in enumerate(rows, 1):
        try:
            yield number, upgrade(row)
        except (LedgerVersionError, KeyError, TypeError, ValueError) as err:
            verdict.problems.append(f"{key} row {number}: cannot read: {err}")


def _row_problem(row: Mapping[str, Any]) -> str:
    try:
        start, end = parse_iso(row["ChargePeriodStart"]), parse_iso(row["ChargePeriodEnd"])
    except (TypeError, ValueError) as err:
        return f"bad charge period: {err}"
    if end < start:
        return f"period ends ({row['ChargePeriodEnd']}) before it starts"
    for name in _NUMBERS:
        value = row.get(name)
        if value is None:
            continue
        if not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            return f"{name} is {value!r}, not a finite non-negative number"
    if row["x_Action"] == SNOOZE_ACTION and (row["x_AvoidedHours"] or row["x_EstimatedSavings"]):
        return (
            "a snooze (kept running by request) claims savings: its hours and cost belong "
            "in x_KeptRunningHours and x_KeptRunningCost"
        )
    return ""


def _overlaps(booked: Mapping[str, list[tuple[str, str, str]]]) -> Iterator[str]:
    """Two bookings of one resource that cover the same time count it twice."""
    for rkey, periods in sorted(booked.items()):
        ordered = sorted((parse_iso(s), parse_iso(e), w) for s, e, w in periods)
        reach, first = ordered[0][1], ordered[0][2]
        for start, end, where in ordered[1:]:
            if start < reach:
                yield f"{where}: booking of {rkey} overlaps {first} (counted twice)"
            if end > reach:
                reach, first = end, where


def _states(store: ObjectStore, verdict: Verdict) -> None:
    for key in store.list("state/v1/"):
        if not key.endswith("/run-state.json"):
            continue
        verdict.states += 1
        data = store.get(key)
        if data is None:
            continue
        try:
            state = TargetState.from_json(data)
        except StateError as err:
            verdict.problems.append(f"{key}: state object unreadable: {err}")
            continue
        verdict.pending_rows += sum(len(rows) for rows in state.pending.values())
