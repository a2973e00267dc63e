"""The job's clock: the run's instant, advanced by the time the run itself has taken.

``--at`` (or the trigger's scheduled time) says when a run happened; a run that spends
two minutes in back-off before its last stop goes out stopped that resource two minutes
later. Results are stamped with this clock, so an off-period opens when the call was
made, not when the run began. The first reading is ``at`` itself: it is the run's
instant (``reconcile`` reads it once); building clients before it does not move it. The
monotonic clock is a parameter (tests inject one).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta


def advancing(
    at: datetime, monotonic: Callable[[], float] = time.monotonic
) -> Callable[[], datetime]:
    """``at`` plus the seconds elapsed on ``monotonic`` since the first reading."""
    if at.tzinfo is None:
        raise ValueError("the job's clock needs a zone-aware instant")
    started: list[float] = []

    def now() -> datetime:
        tick = monotonic()
        if not started:
            started.append(tick)
        return at + timedelta(seconds=max(0.0, tick - started[0]))

    return now
