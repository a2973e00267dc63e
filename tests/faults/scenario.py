"""The scenario most faults share: the fault at the Friday evening stop, then clean runs
through the weekend to a Monday morning where everything is back on."""

from __future__ import annotations

from datetime import datetime

from kit import FRIDAY, MONDAY, TARGET, World, at

STOP = at(FRIDAY, "19:30")
CLOSE = [at(FRIDAY, "20:00"), at(MONDAY, "08:30"), at(MONDAY, "09:00")]
END = CLOSE[-1]
LEASE_HELD = f"another run holds the lease on {TARGET} until"


def close(w: World, times: list[datetime] = CLOSE) -> None:
    for when in times:
        w.run(when)
