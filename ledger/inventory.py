"""Inventory snapshots: what each target runs, including resources with no schedule tag.

The reconcile job writes one snapshot per target a day (the key is fixed, so it is the
latest one), from the resources it discovered plus, for kinds that can list them
cheaply, the resources without a schedule tag::

    inventory/v1/<provider>/<account>/<region>.json

The digest reads them to find *opportunities*: running resources with no schedule tag
that look like non-production, and what a schedule would save them. The snapshot format
is also what ``offhours digest --inventory FILE`` accepts (one snapshot, or a list).

This module imports ``providers.base`` for the ``Resource`` type only (plain data).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ledger.record import iso, parse_iso
from ledger.store import ObjectStore
from providers.base import Price, Resource, ResourceState, Target
from providers.protected import DEFAULT as DEFAULT_PROTECTED
from providers.protected import ProtectedTags

ROOT = "inventory/v1/"
HOURS_PER_WEEK = 168.0

_NON_PROD = re.compile(
    r"(?:^|[^a-z0-9])(dev|develop|development|test|testing|qa|uat|stg|stage|staging|sandbox|"
    r"sbx|demo|poc|tmp|temp|scratch|experiment|exp)(?:[^a-z]|$)"
)
_NOTEBOOK = re.compile(r"notebook|jupyter|workbench")
_GPU_SIZE = re.compile(
    r"^(?:ml\.)?(?:g[3-6][a-z]*|p[2-5][a-z]*|inf[12]|trn[12])\.|^standard_n[cdv]|^(?:a2|a3|g2)-",
    re.IGNORECASE,
)


def inventory_key(target: Target) -> str:
    return f"{ROOT}{target.provider}/{target.account}/{target.region or 'global'}.json"


def resource_to_dict(resource: Resource) -> dict[str, Any]:
    price = resource.price
    return {
        "provider": resource.provider,
        "account": resource.account,
        "region": resource.region,
        "kind": resource.kind,
        "id": resource.id,
        "name": resource.name,
        "tags": dict(resource.tags),
        "state": resource.state.value,
        "size": resource.size,
        "price": None
        if price is None
        else {"hourly": price.hourly, "currency": price.currency, "source": price.source},
        "service": resource.service,
        "unmanaged_reason": resource.unmanaged_reason,
        "gpus": resource.extra.get("gpus", ""),
    }


def resource_from_dict(data: Mapping[str, Any]) -> Resource:
    price = data.get("price")
    return Resource(
        provider=data["provider"],
        account=data["account"],
        region=data.get("region", ""),
        kind=data["kind"],
        id=data["id"],
        name=data.get("name") or data["id"],
        tags=dict(data.get("tags") or {}),
        state=ResourceState(data.get("state", "running")),
        size=data.get("size", ""),
        price=None
        if not price
        else Price(float(price["hourly"]), price.get("currency", "USD"), price.get("source", "")),
        service=data.get("service", ""),
        unmanaged_reason=data.get("unmanaged_reason", ""),
        extra={"gpus": data["gpus"]} if data.get("gpus") else {},
    )


def snapshot(target: Target, resources: Iterable[Resource], now: datetime) -> dict[str, Any]:
    return {
        "version": 1,
        "taken_at": iso(now),
        "target": {"provider": target.provider, "account": target.account, "region": target.region},
        "resources": [resource_to_dict(r) for r in resources],
    }


def write_inventory(
    store: ObjectStore, target: Target, resources: Iterable[Resource], now: datetime
) -> str:
    """Replace the target's snapshot with ``resources`` (everything discovered, tagged or
    not) as of ``now``; returns the key written."""
    key = inventory_key(target)
    body = json.dumps(snapshot(target, resources, now), sort_keys=True, separators=(",", ":"))
    store.put(key, body.encode())
    return key


def taken_at(store: ObjectStore, target: Target) -> datetime | None:
    """When the target's snapshot was taken; None when there is none (or it is unreadable,
    which only means a new one is due)."""
    data = store.get(inventory_key(target))
    try:
        return parse_iso(json.loads(data)["taken_at"]) if data else None
    except (ValueError, KeyError, TypeError):
        return None


@dataclass(frozen=True)
class Snapshot:
    taken_at: datetime
    resources: tuple[Resource, ...]


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
    resource: Resource
    why: str
    weekly_hours_saved: float
    weekly_saving: float | None


def _non_prod_reason(resource: Resource) -> str:
    name = resource.name.lower()
    match = _NON_PROD.search(name)
    if match:
        return f"name looks non-production ({match.group(1)})"
    for key, value in sorted(resource.tags.items()):
        found = _NON_PROD.search(f"{value}".lower())
        if found and key.lower() not in ("name",):
            return f"tag {key}={value} looks non-production"
    return ""


def _gpu_notebook_reason(resource: Resource) -> str:
    text = f"{resource.kind} {resource.name}".lower()
    gpu = bool(_GPU_SIZE.search(resource.size)) or bool(resource.extra.get("gpus"))
    if _NOTEBOOK.search(text) and gpu:
        return "GPU notebook"
    return ""


def find_opportunities(
    resources: Iterable[Resource],
    running_hours_per_week: float,
    schedule_key: str = "schedule",
    protected: ProtectedTags = DEFAULT_PROTECTED,
) -> list[Opportunity]:
    """Running resources with no ``schedule_key`` tag that look like non-production or are
    GPU notebooks, with what a schedule running ``running_hours_per_week`` would save."""
    off_hours = max(0.0, HOURS_PER_WEEK - running_hours_per_week)
    found: dict[str, Opportunity] = {}
    for resource in resources:
        if resource.state is not ResourceState.RUNNING or schedule_key in resource.tags:
            continue
        if resource.unmanaged_reason or protected.match(resource.tags):
            continue
        why = _gpu_notebook_reason(resource) or _non_prod_reason(resource)
        if not why:
            continue
        weekly = None if resource.price is None else round(resource.price.hourly * off_hours, 2)
        found[resource.key] = Opportunity(resource, why, off_hours, weekly)
    return sorted(
        found.values(),
        key=lambda o: (o.weekly_saving is None, -(o.weekly_saving or 0.0), o.resource.name),
    )
