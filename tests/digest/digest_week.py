"""A week's ledger with numbers known by hand, shared by the digest tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ledger_rows import booking, problem, save_state, write_rows

from functions.jobs.inventory import snapshot_of
from ledger.inventory import write_inventory
from ledger.run_state import OffPeriod, TargetState, state_key
from providers.base import Price, Resource, ResourceState, Target
from providers.store import LocalStore

MON = datetime(2026, 11, 23, tzinfo=UTC)  # 2026-W48; Europe/London is on UTC in November
NOW = datetime(2026, 11, 30, 7, tzinfo=UTC)


def at(day: int, hour: float) -> datetime:
    return MON + timedelta(days=day, hours=hour)


@dataclass(frozen=True)
class Week:
    """A week's ledger whose numbers are known by hand (see ``week`` below)."""

    store: LocalStore
    root: str
    saved: float = 160.50
    would: float = 420.00
    did: float = 259.50
    percent: str = "38.2%"
    web_saved: float = 52.50
    web_would: float = 84.00
    ml_saved: float = 108.00
    problem: str = "schedule 'mon-fry 9-5': unknown day 'fry' (use mon..sun)"


def build_week(root: Path) -> Week:
    """* aws dev-web (team web, owner alice@example.com), $0.50/h, off every night and the
      weekend: 4 nights x 13 h + Fri 19:00 -> Mon 00:00 (53 h, booked next Monday) = 105 h,
      $52.50; would have cost 168 h x $0.50 = $84.
    * gcp trainer (team ml), $2/h: Tue 00:00-06:00 booked twice (a retried run), then off
      from Sat 00:00 and still off (a checkpoint of the Mon 00:30 run): 6 + 48 = 54 h,
      $108; would $336.
    * azure vm-data (team data): 12 h off at an unknown price; typo-box has a bad tag.
    * inventory: dev-untagged (team web) runs with no schedule, $0.10/h.
    """
    store = LocalStore(root)
    web = {"team": "web", "owner": "alice@example.com", "schedule": "office-hours"}
    rows = [
        booking("i-web", at(d, 19), at(d + 1, 8), 0.5, tags=web, name="dev-web") for d in range(4)
    ]
    rows.append(booking("i-web", at(4, 19), at(7, 8), 0.5, tags=web, name="dev-web"))
    ml: dict[str, Any] = {
        "provider": "gcp",
        "account": "proj-ml",
        "region": "europe-west4",
        "kind": "instances",
    }
    retry = booking("vm-ml", at(1, 0), at(1, 6), 2.0, tags={"team": "ml"}, name="trainer", **ml)
    again = booking(
        "vm-ml",
        at(1, 0),
        at(1, 6),
        2.0,
        tags={"team": "ml"},
        name="trainer",
        recorded=at(1, 6.25),
        **ml,
    )  # the same booking in a second run's object
    rows += [retry, again]
    seen = {"tags": {"team": "ml"}, "name": "trainer", "schedule": "weekends", **ml}
    rows.append(
        booking("vm-ml", at(5, 0), at(7, 0.5), 2.0, action="still-off", outcome="open", **seen)
    )
    rows.append(
        booking(
            "vm-data",
            at(2, 20),
            at(3, 8),
            None,
            provider="azure",
            account="sub-1",
            region="westeurope",
            kind="vms",
            tags={"team": "data"},
            name="vm-data",
        )
    )
    rows.append(problem("i-typo", at(0, 9), Week.problem, tags={"team": "data"}))
    write_rows(store, rows)
    state = TargetState(
        last_run=NOW,
        off={
            "gcp/proj-ml/europe-west4/instances/vm-ml": OffPeriod(
                at(5, 0), 2.0, "USD", "bundled:t", "weekends", "stop"
            )
        },
    )
    save_state(store, state_key("gcp", "proj-ml", "europe-west4"), state)
    untagged = Resource(
        "aws",
        "111111111111",
        "eu-west-1",
        "ec2",
        "i-untagged",
        "dev-untagged",
        {"team": "web"},
        ResourceState.RUNNING,
        size="m5.large",
        price=Price(0.1, "USD", "bundled:t"),
    )
    write_inventory(store, snapshot_of(Target("aws", "111111111111", "eu-west-1"), [untagged], NOW))
    return Week(store, str(root))
