"""Which (account, region) pairs one run covers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from providers.base import Target

if TYPE_CHECKING:
    from providers.aws.connection import AwsConnection


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
    """Active accounts of the organization, optionally only under the given OUs."""
    scope = connection.config.organization
    if not scope:
        return []
    org = connection.home_client("organizations")
    if scope == "all":
        pages = org.get_paginator("list_accounts").paginate()
        return sorted(a["Id"] for p in pages for a in p["Accounts"] if a["Status"] == "ACTIVE")
    accounts: set[str] = set()
    for parent in scope.split(","):
        pages = org.get_paginator("list_accounts_for_parent").paginate(ParentId=parent.strip())
        accounts.update(a["Id"] for p in pages for a in p["Accounts"] if a["Status"] == "ACTIVE")
    return sorted(accounts)
