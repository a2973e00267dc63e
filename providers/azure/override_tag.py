"""Snooze on Azure: read one resource's tags live and merge the override tag into them.

One ``PATCH {resourceId}/providers/Microsoft.Resources/tags/default`` (Tags - Update At
Scope, operation ``Merge``) writes the tag for every kind, leaving the others as they are;
``Microsoft.Resources/tags/write`` is the only write the function's role needs. VMs are
read through the compute API so the ledger row has the size's list price; the other kinds'
tags through Tags - Get At Scope (their price: an ``hourly-cost`` tag, if any). The
resource group's tags are read the same way and merged under the resource's
(``providers/scopes.py``), so a link on a VM that takes its schedule from its group knows
that schedule, and a protected group refuses the snooze as the scheduler would.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from azure.core.exceptions import AzureError, ResourceNotFoundError

from providers.azure.common import PROVIDER, normalize_tags, parse_id, region
from providers.azure.connection import AzureConnection
from providers.azure.prices import vm_price
from providers.base import Resource, ResourceState
from providers.override_desk import CannotSnooze, DeskError, ResourceNotFound
from providers.prices import price_from_tag
from providers.scopes import inherit, scope_of

TAGS_API = "2021-04-01"
PERMISSIONS = (
    "Microsoft.Compute/virtualMachines/read",
    "Microsoft.Resources/tags/read",
    "Microsoft.Resources/tags/write",
)
_SERVICES = {
    "vms": "Virtual Machines",
    "scale-sets": "Virtual Machine Scale Sets",
    "ml-compute": "Azure Machine Learning",
    "aks": "Azure Kubernetes Service",
}


class AzureOverrideDesk:
    provider = PROVIDER

    def __init__(self, connection: AzureConnection) -> None:
        self.connection = connection

    def read(self, account: str, region_name: str, kind: str, resource_id: str) -> Resource:
        resource = self._read(account, region_name, kind, resource_id)
        group = parse_id(resource.id).resource_group
        path = _tags_path(f"/subscriptions/{resource.account}/resourceGroups/{group}")
        try:
            answer = self.connection.arm().get(path, TAGS_API)
        except AzureError as err:
            raise DeskError(str(err).splitlines()[0]) from err
        tags = normalize_tags(answer.get("properties", {}).get("tags"))
        merged, within = inherit(resource.tags, scope_of(f"resource group {group}", tags))
        return replace(resource, tags=merged, scope=within)

    def _read(self, account: str, region_name: str, kind: str, resource_id: str) -> Resource:
        if kind not in _SERVICES:
            raise CannotSnooze(f"a snooze link cannot keep a {kind!r} resource running")
        try:
            parsed = parse_id(resource_id)
        except ValueError as err:
            raise ResourceNotFound(str(err)) from err
        if parsed.subscription.lower() != account.lower():
            raise CannotSnooze(f"the link names subscription {account}, the resource another")
        try:
            if kind == "vms":
                return self._vm(account, parsed.resource_group, parsed.name, resource_id)
            answer = self.connection.arm().get(_tags_path(resource_id), TAGS_API)
        except ResourceNotFoundError as err:
            raise ResourceNotFound(f"no {kind} {resource_id!r}") from err
        except AzureError as err:
            raise DeskError(str(err).splitlines()[0]) from err
        tags = normalize_tags(answer.get("properties", {}).get("tags"))
        return Resource(
            provider=PROVIDER,
            account=account,
            region=region_name,
            kind=kind,
            id=resource_id,
            name=parsed.name,
            tags=tags,
            state=ResourceState.RUNNING,
            price=price_from_tag(tags),
            service=_SERVICES[kind],
        )

    def write_override(self, resource: Resource, key: str, value: str) -> None:
        body = {"operation": "Merge", "properties": {"tags": {key: value}}}
        try:
            poller = self.connection.arm().begin("PATCH", _tags_path(resource.id), TAGS_API, body)
            poller.result()
        except AzureError as err:
            raise DeskError(str(err).splitlines()[0]) from err

    def _vm(self, subscription: str, group: str, name: str, resource_id: str) -> Resource:
        vm = self.connection.compute(subscription).virtual_machines.get(group, name)
        tags = normalize_tags(vm.tags)
        size = vm.hardware_profile.vm_size if vm.hardware_profile else ""
        location = region(vm.location)
        return Resource(
            provider=PROVIDER,
            account=subscription,
            region=location,
            kind="vms",
            id=vm.id or resource_id,
            name=vm.name or name,
            tags=tags,
            state=ResourceState.RUNNING,
            size=size or "",
            price=vm_price(size or "", location, tags),
            service=_SERVICES["vms"],
        )


def _tags_path(resource_id: str) -> str:
    return f"{resource_id.rstrip('/')}/providers/Microsoft.Resources/tags/default"


def desk_for(connection: AzureConnection, resource: Resource, clock: Any) -> AzureOverrideDesk:
    """The desk through a scheduler's connection (Azure's needs no clock)."""
    return AzureOverrideDesk(connection)
