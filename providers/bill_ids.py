"""How each cloud's own bill names a resource offhours schedules.

A ledger row's ``ResourceId`` is the identifier the cloud's cost export (FOCUS or native)
writes for the resource, so the ledger joins the bill; its ``ResourceType`` is the FOCUS
display name of the kind. The rules are per cloud (``providers/<cloud>/bill_ids.py``),
pure functions of a resource's fields: provider, account, region, kind, id and the
adapter's ``extra``. ``docs/ledger.md`` lists each kind's form with its public source.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from providers import load
from providers.base import Resource

# cloud -> ``identify(account, region, kind, id, extra) -> BillIdentity``
RULES: dict[str, str] = {
    "aws": "providers.aws.bill_ids:identify",
    "gcp": "providers.gcp.bill_ids:identify",
    "azure": "providers.azure.bill_ids:identify",
}


class BillIdentity(NamedTuple):
    """``resource_id``: as the bill writes it; ``resource_type``: FOCUS display name."""

    resource_id: str
    resource_type: str


def identify(
    provider: str,
    account: str,
    region: str,
    kind: str,
    resource_id: str,
    extra: Mapping[str, str] | None = None,
) -> BillIdentity:
    """The bill's identity of one resource; an unknown cloud keeps the id it was given."""
    rule = RULES.get(provider)
    if rule is None:
        return BillIdentity(resource_id, kind)
    found: BillIdentity = load(rule)(account, region, kind, resource_id, extra or {})
    return found


def of_resource(resource: Resource) -> BillIdentity:
    return identify(
        resource.provider,
        resource.account,
        resource.region,
        resource.kind,
        resource.id,
        resource.extra,
    )


def of_key(key: str) -> BillIdentity:
    """From a state key (``provider/account/region/kind/id``, ``Resource.key``)."""
    provider, account, region, kind, resource_id = key.split("/", 4)
    return identify(provider, account, region, kind, resource_id)
