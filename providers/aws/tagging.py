"""Finding tagged resources where the service's own API cannot filter by tag.

The Resource Groups Tagging API answers "which resources of these types carry tags" in
pages of 100. One listing per target serves every tag-based kind (RDS instances and
clusters, SageMaker notebooks and endpoints): each adapter registers, when it is built,
the resource type it reads and the tag keys that select it (``TagListings.want``); the
first kind to ask lists every registered type, the others read from that listing.

Its TagFilters are ANDed, so "schedule *or* idle-stop" cannot be one filter: with one
key the listing filters by it on the server, with several it lists the types' tagged
resources unfiltered and keeps those carrying one of the keys. A listing is read once by
each registered type, then dropped: the next run (or a type asking again) lists afresh.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from providers.base import Target

PERMISSIONS = ("tag:GetResources",)
# GetResources takes at most 100 resource type filters per call.
_MAX_TYPES = 100


def resource_type_of(arn: str) -> str:
    """``rds:db`` for ``arn:<partition>:rds:eu-west-1:1234:db:name``,
    ``sagemaker:endpoint`` for ``arn:<partition>:sagemaker:eu-west-1:1234:endpoint/name``."""
    parts = arn.split(":", 6)
    if len(parts) < 6:
        return ""
    return f"{parts[2]}:{parts[5].split('/', 1)[0]}"


@dataclass
class _Listing:
    by_type: dict[str, dict[str, dict[str, str]]]
    unread: set[str]


@dataclass
class TagListings:
    """Per target, one GetResources listing for every registered resource type."""

    wanted: dict[str, frozenset[str]] = field(default_factory=dict)
    _listings: dict[Target, _Listing] = field(default_factory=dict)
    _locks: dict[Target, threading.Lock] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def want(self, resource_type: str, tag_keys: Iterable[str]) -> None:
        """Register a type (``rds:db``) and the tag keys that select its resources."""
        with self._lock:
            self.wanted[resource_type] = self.wanted.get(resource_type, frozenset()) | set(tag_keys)

    def tagged(
        self, target: Target, resource_type: str, tagging: Callable[[], Any]
    ) -> dict[str, dict[str, str]]:
        """ARN -> tags of the target's ``resource_type`` resources carrying a registered
        key; ``tagging`` makes the target's Resource Groups Tagging client."""
        with self._lock:
            if resource_type not in self.wanted:
                raise KeyError(f"resource type {resource_type!r} was not registered")
            target_lock = self._locks.setdefault(target, threading.Lock())
        with target_lock:
            listing = self._listings.get(target)
            if listing is None or resource_type not in listing.unread:
                with self._lock:
                    wanted = dict(self.wanted)
                listing = _Listing(_list(tagging(), wanted), set(wanted))
                self._listings[target] = listing
            listing.unread.discard(resource_type)
            if not listing.unread:
                self.forget(target)
            return listing.by_type.get(resource_type, {})

    def forget(self, target: Target) -> None:
        self._listings.pop(target, None)
        with self._lock:
            self._locks.pop(target, None)


def _list(
    tagging: Any, wanted: Mapping[str, frozenset[str]]
) -> dict[str, dict[str, dict[str, str]]]:
    keys = set().union(*wanted.values())
    found: dict[str, dict[str, dict[str, str]]] = {t: {} for t in wanted}
    types = sorted(wanted)
    for offset in range(0, len(types), _MAX_TYPES):
        request: dict[str, Any] = {
            "ResourceTypeFilters": types[offset : offset + _MAX_TYPES],
            "ResourcesPerPage": 100,
        }
        if len(keys) == 1:
            request["TagFilters"] = [{"Key": next(iter(keys))}]
        for page in tagging.get_paginator("get_resources").paginate(**request):
            for item in page["ResourceTagMappingList"]:
                arn = item["ResourceARN"]
                kind = resource_type_of(arn)
                tags = tag_dict(item.get("Tags", []))
                if kind in found and not wanted[kind].isdisjoint(tags):
                    found[kind][arn] = tags
    return found


def tag_dict(
    tags: Iterable[Mapping[str, Any]], key: str = "Key", value: str = "Value"
) -> dict[str, str]:
    """AWS tag lists (``[{"Key": k, "Value": v}]``, ECS spells them lowercase) as a dict."""
    return {str(t[key]): str(t.get(value, "")) for t in tags}


def tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """Tags to pass back to a create call; ``aws:`` tags are AWS's own and cannot be set."""
    return [{"Key": k, "Value": v} for k, v in tags.items() if not k.startswith("aws:")]
