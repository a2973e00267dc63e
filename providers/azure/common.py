"""Small helpers every Azure adapter shares: resource ids, tags, error text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

PROVIDER = "azure"


@dataclass(frozen=True)
class ResourceId:
    """The parts of an ARM id: ``/subscriptions/S/resourceGroups/G/providers/NS/type/name``."""

    subscription: str
    resource_group: str
    name: str


def parse_id(resource_id: str) -> ResourceId:
    parts = resource_id.strip("/").split("/")
    lowered = [p.lower() for p in parts]
    try:
        subscription = parts[lowered.index("subscriptions") + 1]
        resource_group = parts[lowered.index("resourcegroups") + 1]
    except (ValueError, IndexError) as err:
        raise ValueError(f"not an Azure resource id: {resource_id!r}") from err
    return ResourceId(subscription, resource_group, parts[-1])


def normalize_tags(tags: Mapping[str, str] | None) -> dict[str, str]:
    """Tag names are case-insensitive in Azure: offhours sees them lowercased.

    ``Schedule=office-hours`` and ``Environment=Prod`` then match the planner's
    ``schedule`` and ``environment`` keys; values keep their case.
    """
    return {str(k).lower(): str(v) for k, v in (tags or {}).items()}


def region(location: str | None) -> str:
    """ARM locations are ``westeurope``-style names; tolerate display names too."""
    return (location or "").replace(" ", "").lower()


def error_text(err: BaseException) -> str:
    """One line for a Result: the ARM error code and message when there is one."""
    error = getattr(err, "error", None)
    code = getattr(error, "code", None)
    message = getattr(error, "message", None)
    if code:
        text = f"{code}: {message or ''}".strip()
    else:
        status = getattr(err, "status_code", None)
        text = f"HTTP {status}: {err}" if status else f"{type(err).__name__}: {err}"
    first = text.strip().splitlines()[0] if text.strip() else type(err).__name__
    return first[:500]
