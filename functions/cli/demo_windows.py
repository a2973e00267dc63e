"""The demo report's maintenance-window and start-order lines, read from the ledger alone:
what a window started and stopped (and that none of it was booked as saved), and how
long after its database an ordered app came up each morning."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from ledger.record import parse_iso

# The demo's pair (sandbox/aws_more.py): the app starts only after the database runs.
PAIR = ("dev-orders-db", "dev-orders-app")


def window_lines(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """One line per resource a maintenance window ran: when it came up and went down."""
    done = [r for r in rows if r.get("x_Trigger") == "maintenance" and r["x_Outcome"] == "done"]
    lines: list[str] = []
    for name in sorted({r["ResourceName"] for r in done}):
        mine = sorted((r["x_RecordedAt"], r["x_Action"]) for r in done if r["ResourceName"] == name)
        # A stop after a window that ended before the week (or before offhours ran) is
        # no span of this week's: keep the stops that follow a window's start.
        events = [
            e for i, e in enumerate(mine) if e[1] != "stop" or (i and mine[i - 1][1] == "start")
        ]
        if not events:
            continue
        spans = ", ".join(f"{action} {_short(at)}" for at, action in events)
        lines.append(
            f"maintenance window: {name}: {spans} UTC; no savings booked for those hours\n"
        )
    return lines


def order_lines(rows: Iterable[Mapping[str, Any]], pair: tuple[str, str] = PAIR) -> list[str]:
    """How long after the database the app started, each day both started."""
    first, second = pair
    starts: dict[str, dict[str, datetime]] = {first: {}, second: {}}
    for row in rows:
        name = row["ResourceName"]
        if name in starts and row["x_Action"] == "start" and row["x_Outcome"] == "done":
            at = parse_iso(row["x_RecordedAt"])
            starts[name].setdefault(at.date().isoformat(), at)
    gaps = [
        int((starts[second][day] - db).total_seconds() // 60)
        for day, db in sorted(starts[first].items())
        if day in starts[second]
    ]
    if not gaps:
        return []
    minutes = ", ".join(str(g) for g in gaps)
    return [f"start order: {second} came up after {first} every morning ({minutes} min later)\n"]


def write_lines(lines: list[str], write: Callable[[str], object]) -> None:
    for line in lines:
        write(line)


def _short(at: str) -> str:
    return f"{parse_iso(at):%a %H:%M}"
