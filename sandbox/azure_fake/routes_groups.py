"""Resource groups, the scope a schedule tag can be put on.

``GET /subscriptions/{s}/resourcegroups?api-version=2021-04-01`` (Resource Groups - List,
azure-rest-api-specs ``specification/resources/resource-manager/Microsoft.Resources/
stable/2021-04-01/resources.json``, operation ``ResourceGroups_List``): a paged
``{"value": [ResourceGroup...], "nextLink"}``. Every group that holds one of the fake's
resources is listed, with the tags a test gave it (``AzureFake.add_resource_group``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox.azure_fake.model import FakeResourceGroup
from sandbox.azure_fake.wire import SUB, Request, Response, page, route

if TYPE_CHECKING:
    from sandbox.azure_fake.server import AzureFake

GROUPS_API = "2021-04-01"
# Served beside model.API_VERSIONS: Resource Groups - List has its own API version.
API_VERSIONS = {"Microsoft.Resources/resourceGroups": GROUPS_API}


def groups_of(fake: AzureFake, subscription: str) -> list[FakeResourceGroup]:
    """The subscription's groups: those seeded, and those its resources imply."""
    sub = subscription.lower()
    found = {k: g for k, g in fake.resource_groups.items() if g.subscription.lower() == sub}
    for table in (fake.vms, fake.scale_sets, fake.workspaces, fake.clusters):
        for item in table.values():
            if str(item.subscription).lower() == sub:
                group = FakeResourceGroup(item.subscription, item.resource_group, item.location)
                found.setdefault(group.id.lower(), group)
    return sorted(found.values(), key=lambda g: g.name.lower())


def list_groups(fake: AzureFake, req: Request) -> Response:
    with fake.lock:
        items = [g.render() for g in groups_of(fake, req.params["sub"])]
    return page(req, items, fake.page_size)


ROUTES = [route("GET", SUB + r"/resourcegroups", list_groups)]
