"""Finding tagged resources where the service's own API cannot filter by tag.

The Resource Groups Tagging API answers "which resources of this type carry tag key K"
in pages of 100. Its TagFilters are ANDed, so several keys (schedule *or* idle-stop) take
one listing per key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

PERMISSIONS = ("tag:GetResources",)


def tagged_arns(
    tagging: Any, resource_type: str, tag_keys: Iterable[str]
) -> dict[str, dict[str, str]]:
    """ARN -> tags of every resource of ``resource_type`` (``rds:db``, ...) carrying any
    of ``tag_keys``."""
    found: dict[str, dict[str, str]] = {}
    for key in dict.fromkeys(tag_keys):
        pages = tagging.get_paginator("get_resources").paginate(
            TagFilters=[{"Key": key}],
            ResourceTypeFilters=[resource_type],
            ResourcesPerPage=100,
        )
        for page in pages:
            for item in page["ResourceTagMappingList"]:
                found[item["ResourceARN"]] = tag_dict(item.get("Tags", []))
    return found


def tag_dict(
    tags: Iterable[Mapping[str, Any]], key: str = "Key", value: str = "Value"
) -> dict[str, str]:
    """AWS tag lists (``[{"Key": k, "Value": v}]``, ECS spells them lowercase) as a dict."""
    return {str(t[key]): str(t.get(value, "")) for t in tags}


def tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """Tags to pass back to a create call; ``aws:`` tags are AWS's own and cannot be set."""
    return [{"Key": k, "Value": v} for k, v in tags.items() if not k.startswith("aws:")]
