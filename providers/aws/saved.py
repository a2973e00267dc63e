"""What adapters must remember to undo an action, as JSON objects in ``options.state``.

Keys follow ``providers.base.state_key``; ``saved_for_kind`` lists one target's objects of
one kind (endpoints that only exist as saved specs while they are scaled to zero).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ledger.store import ObjectStore, StoreError
from providers.base import Resource, ResourceState, Target, state_key


def _need(store: ObjectStore | None) -> ObjectStore:
    if store is None:
        raise StoreError("no state store configured: nothing could be saved to restore later")
    return store


def save(store: ObjectStore | None, resource: Resource, name: str, data: dict[str, Any]) -> None:
    """Write, then read back: raises StoreError unless the object is really there."""
    key = state_key(resource, name)
    payload = json.dumps(data, sort_keys=True, indent=1, default=str).encode()
    target = _need(store)
    target.put(key, payload)
    if target.get(key) != payload:
        raise StoreError(f"{key} did not read back as written")


def load(store: ObjectStore | None, resource: Resource, name: str) -> dict[str, Any] | None:
    key = state_key(resource, name)
    raw = _need(store).get(key)
    return None if raw is None else _parse(key, raw)


def forget(store: ObjectStore | None, resource: Resource, name: str) -> None:
    _need(store).delete(state_key(resource, name))


def saved_for_kind(
    store: ObjectStore | None, target: Target, kind: str, name: str
) -> Iterator[dict[str, Any]]:
    """Every ``name`` object saved for ``kind`` in the target's account and region."""
    if store is None:
        return
    probe = Resource(
        target.provider, target.account, target.region, kind, "_", "_", {}, ResourceState.RUNNING
    )
    prefix = state_key(probe, name).rsplit("/", 2)[0] + "/"
    for key in store.list(prefix):
        if key.endswith("/" + name):
            raw = store.get(key)
            if raw is not None:
                yield _parse(key, raw)


def _parse(key: str, raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except ValueError as err:
        raise StoreError(f"{key} is not JSON: {err}") from err
    if not isinstance(data, dict):
        raise StoreError(f"{key}: expected a JSON object")
    return data
