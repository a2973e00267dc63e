"""The one restore store: what a resource scaled to zero comes back to.

Every kind that scales to zero (ASG, ECS, MIG, VMSS, AKS node pools, SageMaker and
Vertex AI endpoints) keeps what it must restore here, in the job's object store
(``AdapterOptions.state``), one JSON object per resource::

    state/v1/provider=P/account=A/region=R/kind=K/<id>/restore.json
    {"version": 1, "resource": "<Resource.key>", "saved_at": "<iso>", "data": {...}}

``data`` is the kind's own (a capacity, node-pool counts, an endpoint spec). The rules
are the same on every cloud:

- ``save`` writes and reads the object back; if that cannot be confirmed it raises
  ``Refused`` and the adapter makes no destructive call (the resource is left running);
- ``require`` raises ``Refused("no saved size to restore ...")`` when nothing (or nothing
  readable) was saved, so a start is ``failed`` and retried while the schedule says on;
- ``forget`` runs only after the restore was seen done; ``forget_noted`` makes a store
  failure there a note on the result, not a failure: a leftover is harmless, since the
  resource runs whatever was saved.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from providers.apply import NO_SAVED_SIZE, Applier, C, Refused
from providers.base import AdapterOptions, Resource, ResourceState, Target, state_key
from providers.store import ObjectStore, StoreError

NAME = "restore.json"
VERSION = 1
Data = dict[str, Any]


class RestoreStore:
    """One kind's view of the restore objects."""

    def __init__(self, store: ObjectStore | None) -> None:
        self.store = store

    def key(self, resource: Resource) -> str:
        return state_key(resource, NAME)

    def save(self, resource: Resource, data: Data, at: datetime) -> None:
        """Write, then read back; ``Refused`` unless the object is really there."""
        key = self.key(resource)
        record = {"version": VERSION, "resource": resource.key, "saved_at": at.isoformat()}
        payload = json.dumps({**record, "data": data}, sort_keys=True, indent=1, default=str)
        try:
            store = self._store()
            store.put(key, payload.encode())
            confirmed = store.get(key) == payload.encode()
        except StoreError as err:
            raise Refused(f"what to restore could not be saved ({err}): left as it is") from err
        if not confirmed:
            raise Refused(f"{key} did not read back as written: left as it is")

    def load(self, resource: Resource) -> Data | None:
        """What was saved for ``resource``; None when nothing was. Raises StoreError when
        the store fails or the object is unreadable."""
        key = self.key(resource)
        raw = self._store().get(key)
        return None if raw is None else _data(_parse(key, raw), key)

    def require(self, resource: Resource) -> Data:
        """What to restore, or ``Refused`` with the one error every cloud reports."""
        try:
            data = self.load(resource)
        except StoreError as err:
            raise Refused(f"{NO_SAVED_SIZE} ({err})") from err
        if not data:
            raise Refused(f"{NO_SAVED_SIZE} (nothing at {self.key(resource)})")
        return data

    def forget(self, resource: Resource) -> None:
        self._store().delete(self.key(resource))

    def forget_noted(self, resource: Resource, what: str) -> str:
        """``forget``, or "<what> not removed (<error>)" when the store refuses."""
        try:
            self.forget(resource)
        except StoreError as err:
            return f"{what} not removed ({err})"
        return ""

    def saved_for_kind(self, target: Target, kind: str) -> Iterator[Data]:
        """Every object saved for ``kind`` in the target (resources that exist only as
        what was saved, like deleted endpoints). Nothing, and no LIST, when the target
        says none of ``kind`` may exist (``Target.saved_kinds``)."""
        if self.store is None:
            return
        if target.saved_kinds is not None and kind not in target.saved_kinds:
            return
        probe = Resource(
            target.provider,
            target.account,
            target.region,
            kind,
            "_",
            "_",
            {},
            ResourceState.RUNNING,
        )
        prefix = state_key(probe, NAME).rsplit("/", 2)[0] + "/"
        for key in sorted(self.store.list(prefix)):
            if not key.endswith("/" + NAME):
                continue
            raw = self.store.get(key)
            if raw is not None:
                yield _data(_parse(key, raw), key)

    def _store(self) -> ObjectStore:
        if self.store is None:
            raise StoreError("no state store configured: nothing can be saved to restore later")
        return self.store


class ScalesToZero(Applier[C]):
    """An adapter of a kind that scales to zero: it keeps what to restore here."""

    def __init__(self, connection: C, options: AdapterOptions) -> None:
        super().__init__(connection, options)
        self.restore = RestoreStore(options.state)


def _parse(key: str, raw: bytes) -> Data:
    try:
        data = json.loads(raw)
    except ValueError as err:
        raise StoreError(f"{key} is not JSON: {err}") from err
    if not isinstance(data, dict):
        raise StoreError(f"{key}: expected a JSON object")
    return data


def _data(record: Data, key: str) -> Data:
    data = record.get("data")
    if record.get("version") != VERSION or not isinstance(data, dict):
        raise StoreError(f"{key}: not a version {VERSION} restore object")
    return data
