"""SSM maintenance windows named by the ``maintenance-window`` tag.

One ``DescribeMaintenanceWindows`` listing per target, and only when a discovered
resource's tag names a window (rather than writing one inline): each window identity
carries its ``Schedule``, ``ScheduleTimezone``, ``ScheduleOffset``, ``Duration``,
``Cutoff``, ``StartDate``/``EndDate`` and ``Enabled`` (AWS Systems Manager API
reference, DescribeMaintenanceWindows, API version 2014-11-06), so no
``GetMaintenanceWindow`` per window is needed. The fields go in ``Resource.extra``;
``schedules/maintenance.py`` evaluates them, the planner acts on them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from providers.base import Resource, Target
from schedules.maintenance import SSM_ERROR_EXTRA, SSM_EXTRA

if TYPE_CHECKING:
    from providers.aws.connection import AwsConnection

PERMISSIONS = ("ssm:DescribeMaintenanceWindows",)
_FIELDS = (
    "WindowId",
    "Name",
    "Enabled",
    "Schedule",
    "ScheduleTimezone",
    "ScheduleOffset",
    "Duration",
    "Cutoff",
    "StartDate",
    "EndDate",
)


def attach(
    connection: AwsConnection, target: Target, resources: Sequence[Resource], tag_key: str
) -> list[Resource]:
    """The resources, each whose tag names an SSM window with that window's fields (or
    why they could not be had) in ``extra``."""
    named = [r for r in resources if _names_window(r.tags.get(tag_key, ""))]
    if not named:
        return list(resources)
    try:
        windows = list_windows(connection.client("ssm", target))
    except (BotoCoreError, ClientError) as err:
        problem = f"the SSM maintenance windows of {target} could not be read: {err}"
        return [_with(r, SSM_ERROR_EXTRA, problem) if r in named else r for r in resources]
    return [
        _with(r, *_lookup(windows, r.tags[tag_key].strip(), target)) if r in named else r
        for r in resources
    ]


def list_windows(ssm: Any) -> list[dict[str, Any]]:
    """Every maintenance window of the client's account and region (paginated)."""
    found: list[dict[str, Any]] = []
    for page in ssm.get_paginator("describe_maintenance_windows").paginate():
        found.extend({k: w[k] for k in _FIELDS if k in w} for w in page.get("WindowIdentities", []))
    return found


def _lookup(windows: Iterable[dict[str, Any]], value: str, target: Target) -> tuple[str, str]:
    by_id = [w for w in windows if w.get("WindowId") == value]
    matches = by_id or [w for w in windows if w.get("Name") == value]
    if len(matches) == 1:
        return SSM_EXTRA, json.dumps(matches[0], sort_keys=True)
    if matches:
        ids = ", ".join(sorted(str(w.get("WindowId")) for w in matches))
        why = f"{len(matches)} SSM maintenance windows are named {value!r} ({ids})"
        return SSM_ERROR_EXTRA, f"{why}: tag with the window id"
    return SSM_ERROR_EXTRA, f"no SSM maintenance window named {value!r} in {target}"


def _names_window(value: str) -> bool:
    """A window's name or id, not a window written inline ("sun 02:00-04:00 …")."""
    text = value.strip()
    return bool(text) and " " not in text and ":" not in text


def _with(resource: Resource, key: str, value: str) -> Resource:
    return replace(resource, extra={**resource.extra, key: value})
