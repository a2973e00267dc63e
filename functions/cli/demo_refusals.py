"""The demo report's "left alone" lines: scheduled resources the cloud cannot stop or scale
safely, with the adapter's reason, read from the inventory snapshots the demo's runs wrote."""

from __future__ import annotations

from collections.abc import Callable

from ledger.inventory import InventoryItem, read_inventory
from providers.store import ObjectStore


def refused(store: ObjectStore, tag_key: str) -> list[InventoryItem]:
    """Resources carrying the schedule tag that an adapter marked unmanaged, once each."""
    key = tag_key.lower()
    found = {
        item.key: item
        for snapshot in read_inventory(store)
        for item in snapshot.resources
        if item.unmanaged_reason and key in {k.lower() for k in item.tags}
    }
    return sorted(found.values(), key=lambda item: (item.provider, item.kind, item.name))


def write_refused(items: list[InventoryItem], write: Callable[[str], object]) -> None:
    for item in items:
        write(
            f"left alone: {item.provider} {item.kind} {item.name or item.id}: "
            f"{item.unmanaged_reason}\n"
        )
