"""Inventory snapshots: what each target runs, including resources with no schedule tag.

The reconcile job writes one snapshot per target a day (the key is fixed, so it is the
latest one), from the resources it discovered plus, for kinds that can list them
cheaply, the resources without a schedule tag::

    inventory/v1/<provider>/<account>/<region>.json

The digest reads them to find *opportunities*: running resources with no schedule tag
that look like non-production, and what a schedule would save them. The snapshot format
is also what ``offhours digest --inventory FILE`` accepts (one snapshot, or a list).

This module knows no cloud: it takes anything shaped like ``Listed`` (the providers'
``Resource`` is) and reads snapshots back as ``InventoryItem``. Whether a resource runs on
a GPU or another accelerator is decided by its adapter (``accelerator``), not here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

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


class ListedPrice(Protocol):
    @property
    def hourly(self) -> float: ...
    @property
    def currency(self) -> str: ...
    @property
    def source(self) -> str: ...


class Listed(Protocol):
    """What a snapshot records of one resource (``providers.base.Resource`` has it all)."""

    @property
    def provider(self) -> str: ...
    @property
    def account(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def tags(self) -> Mapping[str, str]: ...
    @property
    def state(self) -> str: ...
    @property
    def size(self) -> str: ...
    @property
    def price(self) -> ListedPrice | None: ...
    @property
    def service(self) -> str: ...
    @property
    def unmanaged_reason(self) -> str: ...
    @property
    def accelerator(self) -> bool: ...
    @property
    def extra(self) -> Mapping[str, str]: ...
    @property
    def key(self) -> str: ...


class TargetLike(Protocol):
    @property
    def provider(self) -> str: ...
    @property
    def account(self) -> str: ...
    @property
    def region(self) -> str: ...


@dataclass(frozen=True)
class ItemPrice:
    hourly: float
    currency: str = "USD"
    source: str = ""


@dataclass(frozen=True)
class InventoryItem:
    """One resource as a snapshot recorded it (the same names as ``Resource``)."""

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


def inventory_key(target: TargetLike) -> str:
    return f"{ROOT}{target.provider}/{target.account}/{target.region or 'global'}.json"


def resource_to_dict(resource: Listed) -> dict[str, Any]:
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


def snapshot(target: TargetLike, resources: Iterable[Listed], now: datetime) -> dict[str, Any]:
    return {
        "version": 1,
        "taken_at": iso(now),
        "target": {"provider": target.provider, "account": target.account, "region": target.region},
        "resources": [resource_to_dict(r) for r in resources],
    }


def write_inventory(
    store: ObjectStore, target: TargetLike, resources: Iterable[Listed], now: datetime
) -> str:
    """Replace the target's snapshot with ``resources`` (everything discovered, tagged or
    not) as of ``now``; returns the key written."""
    key = inventory_key(target)
    body = json.dumps(snapshot(target, resources, now), sort_keys=True, separators=(",", ":"))
    store.put(key, body.encode())
    return key


@dataclass(frozen=True)
class Snapshot:
    taken_at: datetime
    resources: tuple[InventoryItem, ...]


def parse_snapshots(data: Any) -> list[Snapshot]:
    """One snapshot dict, or a list of them (the ``--inventory FILE`` form)."""
    items = data if isinstance(data, list) else [data]
    return [
        Snapshot(
            parse_iso(item["taken_at"]),
            tuple(resource_from_dict(r) for r in item.get("resources", [])),
        )
        for item in items
    ]


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
    resource: Listed
    why: str
    weekly_hours_saved: float
    weekly_saving: float | None


def _non_prod_reason(resource: Listed) -> str:
    name = resource.name.lower()
    match = _NON_PROD.search(name)
    if match:
        return f"name looks non-production ({match.group(1)})"
    for key, value in sorted(resource.tags.items()):
        found = _NON_PROD.search(f"{value}".lower())
        if found and key.lower() not in ("name",):
            return f"tag {key}={value} looks non-production"
    return ""


def _gpu_reason(resource: Listed) -> str:
    """GPU notebooks and inference endpoints idle overnight whatever their name."""
    if not resource.accelerator:
        return ""
    if _NOTEBOOK.search(f"{resource.kind} {resource.name}".lower()):
        return "GPU notebook"
    if "endpoint" in resource.kind:
        return "GPU endpoint"
    return ""


def find_opportunities(
    resources: Iterable[Listed],
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
