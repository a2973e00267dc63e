"""An AWS account as a schedule scope: tag the account in AWS Organizations
``schedule=office-hours`` and its EC2 instances follow it (the merge rule is
``providers/scopes.py``).

Read with Organizations ``ListTagsForResource`` on the account id (from the management
account or a delegated administrator), once per account and run, and only when the
deployment lists its accounts from Organizations (``ProviderConfig.organization``):
outside an organization there are no account tags to read.
"""

from __future__ import annotations

from typing import Any

from providers.base import Scope
from providers.scopes import scope_of

PERMISSION = "organizations:ListTagsForResource"


def read_account_scope(organizations: Any, account: str) -> Scope | None:
    """The account's tags as a scope, or None when it has none."""
    tags: dict[str, str] = {}
    request: dict[str, str] = {"ResourceId": account}
    while True:
        page = organizations.list_tags_for_resource(**request)
        tags.update({t["Key"]: t["Value"] for t in page.get("Tags", ())})
        if not page.get("NextToken"):
            return scope_of(f"account {account}", tags)
        request["NextToken"] = page["NextToken"]
