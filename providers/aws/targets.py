"""Which (account, region) pairs one run covers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from providers.base import Target

if TYPE_CHECKING:
    from providers.aws.connection import AwsConnection


# What listing targets needs, besides sts:AssumeRole into each member account's role.
PERMISSIONS = (
    "sts:GetCallerIdentity",
    "ec2:DescribeRegions",
    "organizations:ListAccounts",
    "organizations:ListAccountsForParent",
    "organizations:ListOrganizationalUnitsForParent",
    # The accounts' tags: a schedule tag on an account schedules its EC2 instances.
    "organizations:ListTagsForResource",
)


def list_targets(connection: AwsConnection) -> list[Target]:
    accounts = list(connection.config.accounts) or _organization_accounts(connection)
    if not accounts:
        accounts = [connection.account_id()]
    regions = list(connection.config.regions) or _enabled_regions(connection)
    return [Target("aws", account, region) for account in accounts for region in regions]


def _enabled_regions(connection: AwsConnection) -> list[str]:
    ec2 = connection.home_client("ec2")
    response = ec2.describe_regions(
        Filters=[{"Name": "opt-in-status", "Values": ["opt-in-not-required", "opted-in"]}]
    )
    return sorted(r["RegionName"] for r in response["Regions"])


def _organization_accounts(connection: AwsConnection) -> list[str]:
    """Active accounts of the organization, optionally only under the given OUs (or
    roots), including the OUs nested below them at any depth."""
    scope = connection.config.organization
    if not scope:
        return []
    org = connection.home_client("organizations")
    if scope == "all":
        pages = org.get_paginator("list_accounts").paginate()
        return sorted(a["Id"] for p in pages for a in p["Accounts"] if _active(a))
    accounts: set[str] = set()
    seen: set[str] = set()
    parents = [parent.strip() for parent in scope.split(",") if parent.strip()]
    while parents:
        parent = parents.pop()
        if parent in seen:
            continue
        seen.add(parent)
        pages = org.get_paginator("list_accounts_for_parent").paginate(ParentId=parent)
        accounts.update(a["Id"] for p in pages for a in p["Accounts"] if _active(a))
        children = org.get_paginator("list_organizational_units_for_parent").paginate(
            ParentId=parent
        )
        parents.extend(ou["Id"] for p in children for ou in p["OrganizationalUnits"])
    return sorted(accounts)


def _active(account: dict[str, str]) -> bool:
    # ``State`` replaces the deprecated ``Status``; accept whichever the API returns.
    return account.get("State", account.get("Status")) == "ACTIVE"
