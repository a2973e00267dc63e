"""Inventory snapshots: what each target runs, including resources with no schedule tag.

The reconcile job writes one snapshot per target a day (the key is fixed, so it is the
latest one), from the resources it discovered plus, for kinds that can list them
cheaply, the resources without a schedule tag::

    inventory/v1/<provider>/<account>/<region>.json

The digest reads them to find *opportunities*: running resources with no schedule tag
that look like non-production, and what a schedule would save them. The snapshot format
is also what ``offhours digest --inventory FILE`` accepts (one snapshot, or a list).

This module knows no cloud. A snapshot holds ``InventoryItem``s, the one shape of a listed
resource here, written and read back alike: the job turns the providers' ``Resource`` into
one (``functions/jobs/inventory.py``). Whether a resource runs on a GPU or another
accelerator is decided by its adapter (``accelerator``), not here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ledger.record import iso, parse_iso
from providers.store import ObjectStore
from schedules.protected import DEFAULT as DEFAULT_PROTECTED
from schedules.protected import ProtectedTags

ROOT = "inventory/v1/"
HOURS_PER_WEEK = 168.0

_NON_PROD = re.compile(
    r"(?:^|[^a-z0-9])(dev|develop|development|test|testing|qa|uat|stg|stage|staging|sandbox|"
    r"sbx|demo|poc|tmp|temp|scratch|experiment|exp)(?:[^a-z]|$)"
)
_NOTEBOOK = re.compile(r"notebook|jupyter|workbench|ml-compute")
RUNNING = "running"


@dataclass(frozen=True)
class ItemPrice:
    hourly: float
    currency: str = "USD"
    source: str = ""


@dataclass(frozen=True)
class InventoryItem:
    """One resource as a snapshot records it (the names are ``Resource``'s; ``extra``
    keeps only ``gpus``)."""

    provider: str
    account: str
    region: str
    kind: str
    id: str
    name: str
    tags: Mapping[str, str]
    state: str
    size: str = ""
    price: ItemPrice | None = None
    service: str = ""
    unmanaged_reason: str = ""
    accelerator: bool = False
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.provider}/{self.account}/{self.region}/{self.kind}/{self.id}"


@dataclass(frozen=True)
class Snapshot:
    """One target's resources as of ``taken_at``: one object, replaced by the next."""

    provider: str
    account: str
    region: str
    taken_at: datetime
    resources: tuple[InventoryItem, ...]

    @property
    def key(self) -> str:
        return inventory_key(self.provider, self.account, self.region)


def inventory_key(provider: str, account: str, region: str) -> str:
    return f"{ROOT}{provider}/{account}/{region or 'global'}.json"


def resource_to_dict(resource: InventoryItem) -> dict[str, Any]:
    price = resource.price
    return {
        "provider": resource.provider,
        "account": resource.account,
        "region": resource.region,
        "kind": resource.kind,
        "id": resource.id,
        "name": resource.name,
        "tags": dict(resource.tags),
        "state": str(resource.state),
        "size": resource.size,
        "price": None
        if price is None
        else {"hourly": price.hourly, "currency": price.currency, "source": price.source},
        "service": resource.service,
        "unmanaged_reason": resource.unmanaged_reason,
        "gpus": resource.extra.get("gpus", ""),
        "accelerator": resource.accelerator,
    }


def resource_from_dict(data: Mapping[str, Any]) -> InventoryItem:
    price = data.get("price")
    return InventoryItem(
        provider=data["provider"],
        account=data["account"],
        region=data.get("region", ""),
        kind=data["kind"],
        id=data["id"],
        name=data.get("name") or data["id"],
        tags=dict(data.get("tags") or {}),
        state=str(data.get("state", RUNNING)),
        size=data.get("size", ""),
        price=None
        if not price
        else ItemPrice(
            float(price["hourly"]), price.get("currency", "USD"), price.get("source", "")
        ),
        service=data.get("service", ""),
        unmanaged_reason=data.get("unmanaged_reason", ""),
        # Snapshots from before the flag: GCP adapters recorded attached GPUs.
        accelerator=bool(data.get("accelerator", bool(data.get("gpus")))),
        extra={"gpus": data["gpus"]} if data.get("gpus") else {},
    )


def snapshot_to_dict(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "version": 1,
        "taken_at": iso(snapshot.taken_at),
        "target": {
            "provider": snapshot.provider,
            "account": snapshot.account,
            "region": snapshot.region,
        },
        "resources": [resource_to_dict(r) for r in snapshot.resources],
    }


def write_inventory(store: ObjectStore, snapshot: Snapshot) -> str:
    """Replace the target's snapshot with this one (everything discovered, tagged or
    not); returns the key written."""
    body = json.dumps(snapshot_to_dict(snapshot), sort_keys=True, separators=(",", ":"))
    store.put(snapshot.key, body.encode())
    return snapshot.key


def parse_snapshots(data: Any) -> list[Snapshot]:
    """One snapshot dict, or a list of them (the ``--inventory FILE`` form)."""
    items = data if isinstance(data, list) else [data]
    found = []
    for item in items:
        target = item.get("target") or {}
        found.append(
            Snapshot(
                provider=str(target.get("provider", "")),
                account=str(target.get("account", "")),
                region=str(target.get("region", "")),
                taken_at=parse_iso(item["taken_at"]),
                resources=tuple(resource_from_dict(r) for r in item.get("resources", [])),
            )
        )
    return found


def read_inventory(store: ObjectStore) -> Iterator[Snapshot]:
    for key in store.list(ROOT):
        if key.endswith(".json"):
            data = store.get(key)
            if data:
                yield from parse_snapshots(json.loads(data))


def load_inventory_file(path: Path) -> list[Snapshot]:
    return parse_snapshots(json.loads(path.read_text()))


# ---- opportunities (pure) ------------------------------------------------------------------


@dataclass(frozen=True)
class Opportunity:
    resource: InventoryItem
    why: str
    weekly_hours_saved: float
    weekly_saving: float | None


def _non_prod_reason(resource: InventoryItem) -> str:
    name = resource.name.lower()
    match = _NON_PROD.search(name)
    if match:
        return f"name looks non-production ({match.group(1)})"
    for key, value in sorted(resource.tags.items()):
        found = _NON_PROD.search(f"{value}".lower())
        if found and key.lower() not in ("name",):
            return f"tag {key}={value} looks non-production"
    return ""


def _gpu_reason(resource: InventoryItem) -> str:
    """GPU notebooks and inference endpoints idle overnight whatever their name."""
    if not resource.accelerator:
        return ""
    if _NOTEBOOK.search(f"{resource.kind} {resource.name}".lower()):
        return "GPU notebook"
    if "endpoint" in resource.kind:
        return "GPU endpoint"
    return ""


def find_opportunities(
    resources: Iterable[InventoryItem],
    running_hours_per_week: float,
    schedule_key: str = "schedule",
    protected: ProtectedTags = DEFAULT_PROTECTED,
) -> list[Opportunity]:
    """Running resources with no ``schedule_key`` tag that look like non-production or are
    GPU notebooks, with what a schedule running ``running_hours_per_week`` would save."""
    off_hours = max(0.0, HOURS_PER_WEEK - running_hours_per_week)
    found: dict[str, Opportunity] = {}
    for resource in resources:
        if resource.state != RUNNING or schedule_key in resource.tags:
            continue
        if resource.unmanaged_reason or protected.match(resource.tags):
            continue
        why = _gpu_reason(resource) or _non_prod_reason(resource)
        if not why:
            continue
        weekly = None if resource.price is None else round(resource.price.hourly * off_hours, 2)
        found[resource.key] = Opportunity(resource, why, off_hours, weekly)
    return sorted(
        found.values(),
        key=lambda o: (o.weekly_saving is None, -(o.weekly_saving or 0.0), o.resource.name),
    )
