"""Tags at scope, and a Key Vault's secrets: what a snooze function calls on Azure.

- ``GET|PATCH {resourceId}/providers/Microsoft.Resources/tags/default?api-version=2021-04-01``
  (Tags - Get At Scope / Update At Scope). PATCH takes ``{"operation": "Merge" | "Replace"
  | "Delete", "properties": {"tags": {...}}}`` and answers the resource's tags after it,
  ``{"id", "name": "default", "type": "Microsoft.Resources/tags", "properties": {"tags"}}``.
  Any resource the fake holds (VM, scale set, ML compute, AKS cluster) has them.
- ``GET /vaults/{vault}/secrets/{name}[/{version}]?api-version=…`` (Key Vault Get Secret;
  the fake serves every vault under its own host): ``{"value", "id", "attributes"}``. A
  request without a bearer token gets Key Vault's challenge (401 with ``WWW-Authenticate``
  naming the tenant's authority and the ``https://vault.azure.net`` resource).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sandbox.azure_fake.wire import FakeError, Json, Request, Response, route

if TYPE_CHECKING:
    from sandbox.azure_fake.server import AzureFake

TAGS_API = "2021-04-01"
# Served beside model.API_VERSIONS (the scheduler's clients): only a snooze calls these.
API_VERSIONS = {"Microsoft.Resources/tags": TAGS_API}
SCOPE = r"(?P<scope>/subscriptions/.+?)/providers/Microsoft\.Resources/tags/default"
VAULT = re.compile(r"/vaults/(?P<vault>[^/]+)/secrets/(?P<name>[^/]+)(?:/(?P<version>[^/]*))?")
VAULT_RESOURCE = "https://vault.azure.net"


def _holder(fake: AzureFake, scope: str) -> Any:
    key = scope.lower()
    for table in (fake.vms, fake.scale_sets, fake.ml_computes, fake.clusters, fake.resource_groups):
        if key in table:
            return table[key]
    # A resource group that holds resources exists even when no test gave it tags.
    from sandbox.azure_fake.routes_groups import groups_of

    subscription = scope.strip("/").split("/")[1]
    for group in groups_of(fake, subscription):
        if group.id.lower() == key:
            return fake.resource_groups.setdefault(key, group)
    raise FakeError(404, "ResourceNotFound", f"The Resource '{scope}' was not found.")


def _answer(scope: str, tags: dict[str, str]) -> Response:
    body: Json = {
        "id": f"{scope}/providers/Microsoft.Resources/tags/default",
        "name": "default",
        "type": "Microsoft.Resources/tags",
        "properties": {"tags": dict(tags)},
    }
    return Response(200, body)


def get_tags(fake: AzureFake, req: Request) -> Response:
    scope = req.params["scope"]
    return _answer(scope, _holder(fake, scope).tags)


def update_tags(fake: AzureFake, req: Request) -> Response:
    scope = req.params["scope"]
    holder = _holder(fake, scope)
    operation = req.body.get("operation")
    given = (req.body.get("properties") or {}).get("tags")
    if operation not in ("Merge", "Replace", "Delete") or not isinstance(given, dict):
        raise FakeError(
            400, "InvalidRequestContent", "operation must be Merge, Replace or Delete, with tags"
        )
    if operation == "Replace":
        holder.tags.clear()
    if operation == "Delete":
        for name in given:
            holder.tags.pop(name, None)
    else:
        holder.tags.update({str(k): str(v) for k, v in given.items()})
    fake.events.append(("tags", holder.id, dict(holder.tags)))
    return _answer(scope, holder.tags)


def get_secret(fake: AzureFake, vault: str, name: str, version: str) -> Response:
    versions = fake.secrets.get((vault.lower(), name.lower()), [])
    if not versions:
        raise FakeError(404, "SecretNotFound", f"A secret with (name/id) {name} was not found.")
    number = len(versions) if not version else int(version) if version.isdigit() else 0
    if not 0 < number <= len(versions):
        raise FakeError(404, "SecretNotFound", f"Version {version} of {name} was not found.")
    body: Json = {
        "value": versions[number - 1],
        # The real service's id shape (the SDK parses it): the vault's own host.
        "id": f"https://{vault}.vault.azure.net/secrets/{name}/{number}",
        "attributes": {"enabled": True, "recoveryLevel": "Recoverable+Purgeable"},
    }
    return Response(200, body)


def vault_challenge(tenant: str) -> FakeError:
    error = FakeError(401, "Unauthorized", "AKV10000: Request is missing a Bearer token.")
    error.headers["WWW-Authenticate"] = (
        f'Bearer authorization="https://login.microsoftonline.com/{tenant}", '
        f'resource="{VAULT_RESOURCE}"'
    )
    return error


ROUTES = [
    route("GET", SCOPE, get_tags),
    route("PATCH", SCOPE, update_tags),
]
