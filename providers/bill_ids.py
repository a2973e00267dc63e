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
# cloud -> ``member_tag(kind, bill id) -> (tag key, value) | None``: a group with no bill
# line of its own, whose members' lines carry this tag
MEMBERS: dict[str, str] = {
    "aws": "providers.aws.bill_ids:member_tag",
}
# cloud -> ``kind_of(bill resource id) -> offhours kind | None`` (the reverse, for the
# bill's resources offhours could schedule)
KIND_OF: dict[str, str] = {
    "aws": "providers.aws.bill_ids:kind_of",
    "gcp": "providers.gcp.bill_ids:kind_of",
    "azure": "providers.azure.bill_ids:kind_of",
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


def kind_of(provider: str, bill_id: str) -> str | None:
    """The offhours kind that schedules the resource a bill line names, if any."""
    rule = KIND_OF.get(provider)
    if rule is None or not bill_id:
        return None
    kind: str | None = load(rule)(bill_id)
    return kind


def member_tag(provider: str, kind: str, bill_id: str) -> tuple[str, str] | None:
    """The tag (key, value) on the bill lines of a group's members, if the group has no
    line of its own (an Auto Scaling group's instances)."""
    rule = MEMBERS.get(provider)
    if rule is None:
        return None
    found: tuple[str, str] | None = load(rule)(kind, bill_id)
    return found
