"""Resource groups as schedule scopes: tag ``dev-rg`` with ``schedule=office-hours`` and the
VMs, scale sets, ML compute instances and AKS clusters inside follow it (the merge rule is
``providers/scopes.py``).

One paged call per subscription and run, Resource Groups - List
(``GET /subscriptions/{s}/resourcegroups?api-version=2021-04-01``), which returns each
group's ``tags``; the connection keeps the answer for the run, so every kind reads it once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from providers.azure.common import normalize_tags, parse_id
from providers.base import Scope
from providers.scopes import scope_of

if TYPE_CHECKING:
    from providers.azure.arm import ArmRest

RESOURCE_GROUPS_API = "2021-04-01"
# The RBAC action of Resource Groups - List (and Get).
PERMISSION = "Microsoft.Resources/subscriptions/resourceGroups/read"


def list_group_scopes(arm: ArmRest, subscription: str) -> dict[str, Scope]:
    """Lowercased resource group name -> its scope, for the groups that have tags."""
    found: dict[str, Scope] = {}
    for group in arm.list(f"/subscriptions/{subscription}/resourcegroups", RESOURCE_GROUPS_API):
        name = str(group.get("name", ""))
        scope = scope_of(f"resource group {name}", normalize_tags(group.get("tags")))
        if scope is not None:
            found[name.lower()] = scope
    return found


def scope_for(scopes: dict[str, Scope], resource_id: str) -> Scope | None:
    """The scope of the resource group an ARM id names, if that group has tags."""
    try:
        return scopes.get(parse_id(resource_id).resource_group.lower())
    except ValueError:
        return None
