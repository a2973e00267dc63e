"""The fault suite: runs killed, throttled or doubled.

The real ``offhours run`` against moto through a fault-injecting proxy.

Each scenario injects its fault, runs clean until Monday in office hours, and is held
to the five invariants of tests/faults/README.md.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import kit
import pytest
from kit import FRIDAY, MONDAY, assert_invariants, at, expect, judge
from proxy import Rule, denied, throttle
from scenario import CLOSE, END, LEASE_HELD, STOP, close


def test_no_fault_books_what_was_observed(world: Any) -> None:
    """The reference: without faults, the invariants hold (the clock is ``--at``). A run
    writes the store a few times per target: the state, the ledger object, the state
    again, the daily inventory; a lease and intents may add three."""
    w = world()
    runs = [w.run(STOP), *(w.run(when) for when in CLOSE)]
    writes = [
        sum(c.service == "s3" and c.operation in ("PUT", "DELETE") for c in r.calls) for r in runs
    ]
    assert_invariants(
        judge(w, END),
        {"store writes": expect(max(writes) <= 4 + 3, f"store writes per run: {writes}")},
    )


def test_ec2_throttled_and_denied(world: Any) -> None:
    """Throttled stops are retried within the run; a start AccessDenied is retried by the
    next run while the schedule says on, and its night is booked up to the real start."""
    w = world()
    w.run(STOP, throttle("ec2", operation="StopInstances", times=3))
    w.run(at(MONDAY, "08:30"), denied("ec2", operation="StartInstances", times=1000))
    close(w, [at(MONDAY, "09:00"), at(MONDAY, "09:30")])
    assert_invariants(judge(w, at(MONDAY, "09:30")))


# -- killed mid-run ----------------------------------------------------------------------
@pytest.mark.timeout(900)
def test_twenty_kills_at_random_points(world: Any) -> None:
    """The issue's first failure: a run killed after some StopInstances and before its
    state write left every instance it stopped unbooked."""
    w = world()
    rng = random.Random(11)
    timeline = kit.kill_timeline(FRIDAY - timedelta(days=2), MONDAY)
    weekdays = sum(when.weekday() < 5 for when in timeline)
    kills = tried = 0
    weekend_wrong: list[str] = []
    for when in timeline:
        if when.weekday() >= 5:
            w.run(when)  # long after Friday's kills: the fleet must be off
            weekend_wrong += kit.wrong_state(w, when)
            continue
        # Spread the kills over the days; a planned kill lands only if its call happens.
        if rng.random() < 1.4 * (20 - kills) / max(1, weekdays - tried):
            kills += w.run(when, kit.plan_kill(rng, w, when)).killed
        else:
            w.run(when)
        tried += 1
    close(w, [at(MONDAY, "11:00"), at(MONDAY, "12:00")])
    assert_invariants(
        judge(w, at(MONDAY, "12:00")),
        {"weekend": weekend_wrong, "kills": expect(kills == 20, f"{kills} kills landed")},
    )


# -- two runs at once --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("second", "together"),
    [
        (timedelta(0), True),  # a duplicated delivery of the same scheduled event
        (timedelta(seconds=1), True),  # a manual run beside the scheduled one
        (timedelta(seconds=1), False),  # a retry that comes after the first finished
    ],
    ids=["concurrent-same-instant", "concurrent-1s-apart", "sequential-1s-apart"],
)
def test_two_runs(world: Any, second: timedelta, together: bool) -> None:
    w = world()
    if together:
        # The lease holder's first stop waits at the proxy until the other run has
        # finished: both runs are in flight at once, whatever the machine's load.
        hold = Rule("ec2", "hold", operation="StopInstances", times=1)
        runs = w.run_together([STOP, STOP + second], hold)
    else:
        runs = [w.run(STOP), w.run(STOP + second)]
    held = sum(LEASE_HELD in r.text for r in runs)
    stops = sum(c.operation == "StopInstances" and c.status == 200 for c in w.seen)
    close(w)
    assert_invariants(
        judge(w, END),
        {
            "lease": expect(held == int(together), f"{held} runs reported the lease held"),
            # 29 to stop in batches of 8: one run's calls, not two.
            "stopped twice": expect(stops <= 4, f"{stops} StopInstances calls for 29 stops"),
        },
    )
