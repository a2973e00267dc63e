"""The small state object kept next to the ledger, one per target.

It remembers when the last successful run happened (so the start side acts on every
schedule transition since then, and a missed run catches up) and since when offhours
has kept each resource off (so savings are booked once, when the resource comes back).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ledger.record import iso, parse_iso
from ledger.store import ObjectStore, StoreError


@dataclass
class OffPeriod:
    """A resource offhours turned off: since when, and at what price."""

    since: datetime
    hourly_price: float | None
    currency: str
    price_source: str
    schedule: str
    action: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": iso(self.since),
            "hourly_price": self.hourly_price,
            "currency": self.currency,
            "price_source": self.price_source,
            "schedule": self.schedule,
            "action": self.action,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OffPeriod:
        return cls(
            since=parse_iso(data["since"]),
            hourly_price=data.get("hourly_price"),
            currency=data.get("currency", "USD"),
            price_source=data.get("price_source", ""),
            schedule=data.get("schedule", ""),
            action=data.get("action", "stop"),
        )


@dataclass
class TargetState:
    last_run: datetime | None = None
    # The last run whose discovery of each kind succeeded: the start side of a kind acts
    # on the transitions since then, so an outage of one kind is caught up afterwards.
    kind_runs: dict[str, datetime] = field(default_factory=dict)
    off: dict[str, OffPeriod] = field(default_factory=dict)
    # Resources whose start failed: the next run tries again while the schedule says on.
    retry_start: list[str] = field(default_factory=list)
    # Problems already written to the ledger (resource key -> reason): a bad tag is booked
    # when it appears or changes, not again on every run.
    problems: dict[str, str] = field(default_factory=dict)
    # Ledger rows saved with the state they belong to, until their ledger object is written:
    # a crash between the two writes is finished by the next run, never lost or doubled.
    pending: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def to_json(self) -> bytes:
        body = {
            "version": 1,
            "last_run": iso(self.last_run) if self.last_run else None,
            "kind_runs": {k: iso(v) for k, v in sorted(self.kind_runs.items())},
            "off": {key: period.to_dict() for key, period in sorted(self.off.items())},
            "retry_start": sorted(self.retry_start),
            "problems": dict(sorted(self.problems.items())),
            "pending": self.pending,
        }
        return json.dumps(body, indent=1, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> TargetState:
        body = json.loads(data)
        last = body.get("last_run")
        return cls(
            last_run=parse_iso(last) if last else None,
            kind_runs={k: parse_iso(v) for k, v in body.get("kind_runs", {}).items()},
            off={k: OffPeriod.from_dict(v) for k, v in body.get("off", {}).items()},
            retry_start=list(body.get("retry_start", [])),
            problems=dict(body.get("problems", {})),
            pending=dict(body.get("pending", {})),
        )


def state_key(provider: str, account: str, region: str) -> str:
    return (
        f"state/v1/provider={provider}/account={account}/region={region or 'global'}/run-state.json"
    )


def load_state(store: ObjectStore, key: str) -> TargetState:
    data = store.get(key)
    if data is None:
        return TargetState()
    try:
        return TargetState.from_json(data)
    except (ValueError, KeyError, TypeError) as err:
        # A corrupt state object must not silently reset the start side: say so.
        raise StoreError(f"state object {key} is unreadable: {err}") from err


def save_state(store: ObjectStore, key: str, state: TargetState) -> None:
    store.put(key, state.to_json())
