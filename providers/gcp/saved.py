"""What adapters remember between runs (previous sizes, deployment specs), as JSON objects
in ``options.state`` under ``state_key(resource, name)``."""

from __future__ import annotations

import json
from typing import Any

from ledger.store import ObjectStore, StoreError
from providers.base import Resource, state_key


def _store(state: ObjectStore | None) -> ObjectStore:
    if state is None:
        raise StoreError("no state store configured: cannot remember what to restore")
    return state


def save(state: ObjectStore | None, resource: Resource, name: str, data: dict[str, Any]) -> None:
    """Write and read back; raises StoreError unless the object is really there."""
    store, key = _store(state), state_key(resource, name)
    payload = json.dumps(data, sort_keys=True, indent=1).encode()
    store.put(key, payload)
    if store.get(key) != payload:
        raise StoreError(f"{key}: the saved object did not read back as written")


def load(state: ObjectStore | None, resource: Resource, name: str) -> dict[str, Any] | None:
    raw = _store(state).get(state_key(resource, name))
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except ValueError as err:
        raise StoreError(f"{state_key(resource, name)}: not JSON ({err})") from err
    if not isinstance(data, dict):
        raise StoreError(f"{state_key(resource, name)}: expected a JSON object")
    return data


def forget(state: ObjectStore | None, resource: Resource, name: str) -> None:
    _store(state).delete(state_key(resource, name))
