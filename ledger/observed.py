"""When each target was last observed, and which ones no run has looked at lately.

Savings accrue only up to the last run that saw a resource off, so a report must say
when that was: a target whose runs stopped claims nothing after its last run, and the
reader should know why its number stops there. The instant is the target's ``last_run``
in its state object (the ledger's numbers never come from there).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from ledger.run_state import StateError, TargetState
from providers.store import ObjectStore

_PREFIX = "state/v1/"
_SUFFIX = "/run-state.json"


@dataclass(frozen=True)
class Observed:
    target: str  # provider/account/region
    last_run: datetime


def target_of(key: str) -> str:
    """``state/v1/provider=P/account=A/region=R/run-state.json`` -> ``P/A/R``."""
    parts = key.removeprefix(_PREFIX).removesuffix(_SUFFIX).split("/")
    return "/".join(p.split("=", 1)[-1] for p in parts)


def target_states(
    store: ObjectStore, unreadable: list[str] | None = None
) -> Iterator[tuple[str, TargetState]]:
    """(key, state) of every target's state object; an unreadable one is named in
    ``unreadable`` and skipped (the next run keeps it aside and rebuilds it)."""
    for key in store.list(_PREFIX):
        if not key.endswith(_SUFFIX):
            continue
        data = store.get(key)
        if not data:
            continue
        try:
            yield key, TargetState.from_json(data)
        except StateError as err:
            if unreadable is not None:
                unreadable.append(f"{key}: {err}")


def last_observed(store: ObjectStore, unreadable: list[str] | None = None) -> list[Observed]:
    """Every target's last run, oldest first; an unreadable state is named and skipped."""
    seen = [
        Observed(target_of(key), state.last_run)
        for key, state in target_states(store, unreadable)
        if state.last_run is not None
    ]
    return sorted(seen, key=lambda o: (o.last_run, o.target))


def unobserved(observed: list[Observed], at: datetime, interval: timedelta) -> list[Observed]:
    """Targets with no run in the two run intervals before ``at``."""
    return [o for o in observed if at - o.last_run > 2 * interval]


def describe(item: Observed, tz_name: str = "UTC") -> str:
    """ "aws/1234/eu-west-1: no run since Mon 23 Nov 00:00 UTC: nothing claimed after that"."""
    local = item.last_run.astimezone(ZoneInfo(tz_name))
    return (
        f"{item.target}: no run since {local:%a %d %b %H:%M} {tz_name}: nothing claimed after that"
    )
