"""The small state object kept next to the ledger, one per target.

It remembers when the last successful run happened (so the start side acts on every
schedule transition since then, and a missed run catches up), since when offhours has
kept each resource off (so savings are booked once, when the resource comes back), the
run lease, and the write-ahead intents of the run holding it. ``ledger/README.md``
describes the protocol and the failures it survives.

Every write of a state object is compare-and-swap on the version that was read
(``ObjectStore.put_if``): two runs never overwrite each other's state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ledger.record import iso, parse_iso

FORMAT_VERSION = 2
# Versions this code reads: 1 had no lease and no intents (and a ``retry_start`` list
# the held-off periods now stand for).
_READABLE = (1, 2)


class StateError(ValueError):
    """A state object failed validation (not JSON, wrong shape, unknown version)."""


@dataclass
class OffPeriod:
    """A resource offhours turned off: since when, and at what price."""

    since: datetime
    hourly_price: float | None
    currency: str
    price_source: str
    schedule: str
    action: str
    # What turned it off (``schedule``, ``idle``): an idle stop is not retried as a start
    # until its schedule next turns on, and its savings are booked as ``x_Trigger=idle``.
    trigger: str = "schedule"

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": iso(self.since),
            "hourly_price": self.hourly_price,
            "currency": self.currency,
            "price_source": self.price_source,
            "schedule": self.schedule,
            "action": self.action,
            "trigger": self.trigger,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OffPeriod:
        price = data.get("hourly_price")
        if price is not None and not isinstance(price, int | float):
            raise StateError(f"hourly_price must be a number, not {price!r}")
        return cls(
            since=_instant(data["since"]),
            hourly_price=price,
            currency=data.get("currency", "USD"),
            price_source=data.get("price_source", ""),
            schedule=data.get("schedule", ""),
            action=data.get("action", "stop"),
            trigger=str(data.get("trigger", "schedule")),
        )


@dataclass
class Lease:
    """The run allowed to act on the target until ``until`` (the job's clock)."""

    run_id: str
    until: datetime

    def live_for_other(self, run_id: str, now: datetime) -> bool:
        return self.run_id != run_id and self.until > now


@dataclass
class ActionIntent:
    """What a run is about to do to one resource, recorded before the call.

    ``accepted``: the cloud took the request but had not confirmed it; the next
    discovery confirms (books from ``at``) or fails it. An intent left by a run that
    died is resolved the same way: by looking at the resource.
    """

    run_id: str
    action: str
    at: datetime
    accepted: bool = False
    hourly_price: float | None = None
    currency: str = "USD"
    price_source: str = ""
    schedule: str = ""
    trigger: str = "schedule"

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "action": self.action,
            "at": iso(self.at),
            "accepted": self.accepted,
            "hourly_price": self.hourly_price,
            "currency": self.currency,
            "price_source": self.price_source,
            "schedule": self.schedule,
            "trigger": self.trigger,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ActionIntent:
        return cls(
            run_id=str(data["run_id"]),
            action=str(data["action"]),
            at=_instant(data["at"]),
            accepted=bool(data.get("accepted", False)),
            hourly_price=data.get("hourly_price"),
            currency=data.get("currency", "USD"),
            price_source=data.get("price_source", ""),
            schedule=data.get("schedule", ""),
            trigger=str(data.get("trigger", "schedule")),
        )

    def period(self) -> OffPeriod:
        """The off-period an off action opens at its instant."""
        return OffPeriod(
            since=self.at,
            hourly_price=self.hourly_price,
            currency=self.currency,
            price_source=self.price_source,
            schedule=self.schedule,
            action=self.action,
            trigger=self.trigger,
        )


@dataclass
class NoticeMark:
    """A warn-before-stop notice, claimed before it is sent: never sent twice.

    ``status``: ``claimed`` (a run was about to send it; if it died, the notice is lost
    rather than sent twice), ``sent`` or ``failed`` (``detail`` says why)."""

    run_id: str
    stop_at: datetime
    status: str = "claimed"
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "stop_at": iso(self.stop_at),
            "status": self.status,
            "detail": self.detail,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NoticeMark:
        return cls(
            run_id=str(data["run_id"]),
            stop_at=_instant(data["stop_at"]),
            status=str(data.get("status", "claimed")),
            detail=str(data.get("detail", "")),
        )


@dataclass
class TargetState:
    last_run: datetime | None = None
    # The last run whose discovery of each kind succeeded: the start side of a kind acts
    # on the transitions since then, so an outage of one kind is caught up afterwards.
    kind_runs: dict[str, datetime] = field(default_factory=dict)
    off: dict[str, OffPeriod] = field(default_factory=dict)
    # Problems already written to the ledger (resource key -> reason): a bad tag is booked
    # when it appears or changes, not again on every run.
    problems: dict[str, str] = field(default_factory=dict)
    # Ledger rows saved with the state they belong to, until their ledger object is written:
    # a crash between the two writes is finished by the next run, never lost or doubled.
    pending: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    lease: Lease | None = None
    # Resource key -> what a run is doing (or did, unconfirmed) to it.
    intents: dict[str, ActionIntent] = field(default_factory=dict)
    # "<resource key>@<stop instant>" -> the notice sent (or claimed) for that stop.
    # Absent from the object when empty (``to_json``): it loads as an empty map.
    notices: dict[str, NoticeMark] = field(default_factory=dict)
    # When a run last wrote still-off checkpoint rows for this target's open periods
    # (``functions/jobs/checkpoints.py``): at most one set per checkpoint interval.
    checkpoint_at: datetime | None = None
    # Start and stop order: since when each ordered resource has been seen running, and
    # the resources whose start an order holds (started by a later run while their
    # schedule says on, like the held-off ones).
    running_since: dict[str, datetime] = field(default_factory=dict)
    held: set[str] = field(default_factory=set)

    def to_json(self) -> bytes:
        body: dict[str, Any] = {
            "version": FORMAT_VERSION,
            "last_run": iso(self.last_run) if self.last_run else None,
            "kind_runs": {k: iso(v) for k, v in sorted(self.kind_runs.items())},
            "off": {key: period.to_dict() for key, period in sorted(self.off.items())},
            "problems": dict(sorted(self.problems.items())),
            "pending": self.pending,
            "lease": (
                {"run_id": self.lease.run_id, "until": iso(self.lease.until)}
                if self.lease
                else None
            ),
            "intents": {k: i.to_dict() for k, i in sorted(self.intents.items())},
        }
        if self.notices:  # absent when empty: a target without notices writes no key
            body["notices"] = {k: m.to_dict() for k, m in sorted(self.notices.items())}
        if self.checkpoint_at:  # absent until the first checkpoint, like notices
            body["checkpoint_at"] = iso(self.checkpoint_at)
        if self.running_since:  # absent when empty, as notices
            body["running_since"] = {k: iso(v) for k, v in sorted(self.running_since.items())}
        if self.held:
            body["held"] = sorted(self.held)
        # Compact and strict: the object is rewritten on every run of every target.
        return json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()

    @classmethod
    def from_json(cls, data: bytes) -> TargetState:
        """Parse and validate; anything unexpected is a StateError, never a silent reset."""
        try:
            body = json.loads(data)
        except (ValueError, UnicodeDecodeError) as err:
            raise StateError(f"not JSON: {err}") from err
        if not isinstance(body, dict):
            raise StateError("not a JSON object")
        version = body.get("version")
        if version not in _READABLE:
            raise StateError(f"unknown format version {version!r} (this offhours reads 1, 2)")
        missing = [k for k in ("last_run", "off") if k not in body]
        if missing:
            raise StateError(f"missing {', '.join(missing)}")
        try:
            return cls._from_body(body)
        except (KeyError, TypeError, AttributeError, ValueError) as err:
            raise StateError(f"malformed: {type(err).__name__}: {err}") from err

    @classmethod
    def _from_body(cls, body: dict[str, Any]) -> TargetState:
        last = body["last_run"]
        lease = body.get("lease")
        checkpoint = body.get("checkpoint_at")
        return cls(
            last_run=_instant(last) if last is not None else None,
            kind_runs={k: _instant(v) for k, v in _mapping(body, "kind_runs").items()},
            off={k: OffPeriod.from_dict(v) for k, v in _mapping(body, "off").items()},
            problems={str(k): str(v) for k, v in _mapping(body, "problems").items()},
            pending={str(k): list(v) for k, v in _mapping(body, "pending").items()},
            lease=Lease(str(lease["run_id"]), _instant(lease["until"])) if lease else None,
            intents={k: ActionIntent.from_dict(v) for k, v in _mapping(body, "intents").items()},
            notices={k: NoticeMark.from_dict(v) for k, v in _mapping(body, "notices").items()},
            checkpoint_at=_instant(checkpoint) if checkpoint is not None else None,
            running_since={k: _instant(v) for k, v in _mapping(body, "running_since").items()},
            held={str(k) for k in _list(body, "held")},
        )


def _mapping(body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name) or {}
    if not isinstance(value, dict):
        raise StateError(f"{name} must be an object")
    return value


def _list(body: dict[str, Any], name: str) -> list[Any]:
    value = body.get(name) or []
    if not isinstance(value, list):
        raise StateError(f"{name} must be a list")
    return value


def _instant(text: Any) -> datetime:
    if not isinstance(text, str):
        raise StateError(f"expected an ISO 8601 instant, not {text!r}")
    at = parse_iso(text)
    if at.tzinfo is None:
        raise StateError(f"instant without a zone: {text!r}")
    return at


def state_key(provider: str, account: str, region: str) -> str:
    return (
        f"state/v1/provider={provider}/account={account}/region={region or 'global'}/run-state.json"
    )


def corrupt_key(key: str, run_id: str) -> str:
    """Where an unreadable state object is kept aside (next to it, never overwritten)."""
    return key.removesuffix("run-state.json") + f"run-state.corrupt-{run_id}.json"
