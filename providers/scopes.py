"""Schedules by scope: the one rule for what a resource takes from the place it lives in.

A scope is an Azure resource group, a GCP project (its labels) or an AWS account (its
tags in Organizations). Tag the scope ``schedule=office-hours`` and every schedulable
resource inside follows it:

- the resource's own tags win, key by key: its own ``schedule`` tag, its own
  ``schedule-override=opt-out``, its own team tag;
- the scope's tags are merged under the resource's, so the ledger and the digest see the
  team or cost-centre tags a scope carries, as they would see the resource's own;
- the planner also reads the scope's own tags for protection: ``environment=prod`` on the
  scope protects everything inside, even a resource tagged otherwise;
- the plan's reason names the scope when the schedule came from it ("schedule from
  resource group dev-rg").

Cost: adapters keep filtering by the schedule tag on the server. Only a scope that itself
carries the schedule tag makes an adapter list every resource of its kind in that scope
(one more listing per tagged scope, ``lists_everything``); the scopes' tags are read once
per target. Plain data, no cloud.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from providers.base import Scope


def scope_of(label: str, tags: Mapping[str, str] | None) -> Scope | None:
    """The scope a resource may inherit from, or None when the scope has no tags."""
    clean = {str(k): str(v) for k, v in (tags or {}).items()}
    return Scope(label, clean) if clean else None


def inherit(own: Mapping[str, str], scope: Scope | None) -> tuple[dict[str, str], Scope | None]:
    """The resource's tags with the scope's merged under them, and the scope as this
    resource sees it (which keys it inherited). Own tags win."""
    if scope is None:
        return dict(own), None
    inherited = frozenset(k for k in scope.tags if k not in own)
    return {**scope.tags, **own}, replace(scope, inherited=inherited)


def nest(
    label: str, tags: Mapping[str, str] | None, outer: Scope | None, tag_key: str
) -> Scope | None:
    """A scope inside another (an Azure ML workspace in its resource group): the inner
    scope's tags win over the outer's; the label names the one the schedule comes from."""
    own = {str(k): str(v) for k, v in (tags or {}).items()}
    merged, _ = inherit(own, outer)
    from_outer = outer is not None and tag_key not in own and tag_key in outer.tags
    return scope_of(outer.label if outer and from_outer else label, merged)


def lists_everything(scope: Scope | None, tag_key: str) -> bool:
    """Whether the adapter must list every resource in the scope, not only tagged ones."""
    return scope is not None and tag_key in scope.tags


def schedule_source(scope: Scope | None, tag_key: str) -> str:
    """ "schedule from resource group dev-rg" when the schedule tag came from the scope."""
    if scope is None or tag_key not in scope.inherited:
        return ""
    return f"{tag_key} from {scope.label}"
