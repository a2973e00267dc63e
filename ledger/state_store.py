"""Reading and writing a target's state object safely: validation, keeping a corrupt
object aside, and compare-and-swap writes retried on a lost race.

A write never replaces a version it did not read: ``commit`` applies a change to the
state it read, writes it conditionally, and on a ``Conflict`` reads the newer state and
applies the same change to it again. Changes are written to be safe to apply twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from ledger.run_state import OffPeriod, StateError, TargetState, corrupt_key
from providers.store import Conflict, ObjectStore

log = logging.getLogger("offhours.state")
T = TypeVar("T")
# Lost races in a row before giving up; each retry re-reads, so this is only hit when
# another writer keeps winning.
MAX_ATTEMPTS = 5


@dataclass
class Loaded:
    """A state as read, the version to name when writing it back, and what was wrong."""

    state: TargetState
    version: str
    problems: list[str] = field(default_factory=list)


def load(
    store: ObjectStore, key: str, run_id: str, rebuild: Callable[[], dict[str, OffPeriod]]
) -> Loaded:
    """Read and validate one state object. An unreadable one is copied aside (never
    deleted), reported, and replaced in memory by a state rebuilt from the ledger; the
    next ``commit`` replaces it conditionally on the version read."""
    read = store.read(key)
    if read.data is None:
        return Loaded(TargetState(), read.version)
    try:
        return Loaded(TargetState.from_json(read.data), read.version)
    except StateError as err:
        aside = corrupt_key(key, run_id)
        store.put(aside, read.data)
        problem = (
            f"state object {key} unreadable ({err}): kept as {aside}; "
            "off-periods rebuilt from the ledger"
        )
        log.error(problem)
        return Loaded(TargetState(off=rebuild()), read.version, [problem])


def commit(
    store: ObjectStore,
    key: str,
    loaded: Loaded,
    change: Callable[[TargetState], T],
    reload: Callable[[], Loaded],
) -> T:
    """Apply ``change`` and write conditionally; on a lost race, ``reload`` and apply it
    again. ``loaded`` is updated to what was written. Returns what ``change`` returned
    the time it was written."""
    for _ in range(MAX_ATTEMPTS):
        outcome = change(loaded.state)
        try:
            loaded.version = store.put_if(key, loaded.state.to_json(), loaded.version)
            return outcome
        except Conflict:
            log.info("state %s changed while this run worked: reading it again", key)
            fresh = reload()
            loaded.state, loaded.version = fresh.state, fresh.version
            loaded.problems.extend(p for p in fresh.problems if p not in loaded.problems)
    raise Conflict(f"state {key}: lost {MAX_ATTEMPTS} races in a row; the next run retries")
