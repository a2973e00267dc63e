"""The shipped least-privilege IAM policy (``infra/aws/offhours-policy.json``) against the
registry: it covers every registered AWS adapter's declared permissions, and it never
grants a mutating action on every resource without a tag condition. The file carries
CloudFormation ``!Sub`` placeholders (``${TagKey}``, ``${IdleTagKey}``, ``${LedgerBucket}``,
...); tests/infra checks that template.yaml, member-role.yaml and the Terraform module
carry exactly its statements with them filled in.

That the adapters stay inside their declared permissions is checked by every functional
test in this folder (the ``calls`` fixture logs each API call through a botocore hook)."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest

import providers
from providers.aws import maintenance_windows, targets

POLICY = Path(__file__).parents[3] / "infra" / "aws" / "offhours-policy.json"
READ_ONLY_VERBS = ("Describe", "List", "Get")
TAG_CONDITION_KEYS = ("aws:ResourceTag/", "aws:RequestTag/")


def _statements() -> list[dict[str, Any]]:
    document = json.loads(POLICY.read_text())
    assert document["Version"] == "2012-10-17"
    return list(document["Statement"])


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _allowed(action: str) -> bool:
    return any(
        fnmatchcase(action.lower(), pattern.lower())
        for statement in _statements()
        if statement["Effect"] == "Allow"
        for pattern in _as_list(statement["Action"])
    )


def _mutating(action: str) -> bool:
    return not action.split(":", 1)[1].startswith(READ_ONLY_VERBS)


def _tag_conditioned(statement: dict[str, Any]) -> bool:
    keys = [key for block in statement.get("Condition", {}).values() for key in block]
    return any(key.startswith(TAG_CONDITION_KEYS) for key in keys)


def _aws_adapters() -> dict[str, Any]:
    return {kind: providers.load(path) for kind, path in providers.KINDS["aws"].items()}


def test_every_registered_aws_kind_is_covered() -> None:
    needed = {p for adapter in _aws_adapters().values() for p in adapter.permissions}
    needed |= set(targets.PERMISSIONS) | {"sts:AssumeRole"}
    # The one SSM maintenance-window listing per target, outside the kind adapters.
    needed |= set(maintenance_windows.PERMISSIONS)
    assert sorted(a for a in needed if not _allowed(a)) == []


def test_the_registry_has_every_aws_kind_this_issue_adds() -> None:
    assert set(_aws_adapters()) >= {
        "ec2",
        "rds",
        "aurora",
        "asg",
        "ecs",
        "sagemaker-notebooks",
        "sagemaker-endpoints",
    }
    for kind, adapter in _aws_adapters().items():
        assert adapter.kind == kind
        assert all(":" in p for p in adapter.permissions)


@pytest.mark.parametrize("statement", _statements(), ids=lambda s: s["Sid"])
def test_no_wildcard_action_and_no_untagged_mutation_on_everything(
    statement: dict[str, Any],
) -> None:
    actions = _as_list(statement["Action"])
    assert "*" not in actions and not any(a.endswith(":*") for a in actions)
    if "*" in _as_list(statement["Resource"]):
        mutating = [a for a in actions if _mutating(a)]
        assert not mutating or _tag_conditioned(statement), mutating


# A scalable target does not carry its ECS service's tags: lowering a service's scaling
# minimum is granted on the account's scalable targets only (the statement's Resource).
UNTAGGED = {"application-autoscaling:RegisterScalableTarget"}


def test_adapters_change_only_resources_carrying_their_tags() -> None:
    """Every mutating action an adapter declares is granted only under a tag condition on
    the schedule (or idle) tag, never unconditionally anywhere."""
    declared = {p for adapter in _aws_adapters().values() for p in adapter.permissions}
    for action in sorted(a for a in declared if _mutating(a) and a not in UNTAGGED):
        granting = [
            s for s in _statements() if any(fnmatchcase(action, p) for p in _as_list(s["Action"]))
        ]
        assert granting, action
        for statement in granting:
            keys = {k for block in statement["Condition"].values() for k in block}
            assert keys & {
                "aws:ResourceTag/${TagKey}",
                "aws:ResourceTag/${IdleTagKey}",
                "aws:RequestTag/${TagKey}",
                "aws:RequestTag/${IdleTagKey}",
            }, (action, statement["Sid"])


def test_the_policy_fits_a_managed_policy() -> None:
    compact = json.dumps(json.loads(POLICY.read_text()), separators=(",", ":"))
    assert len(compact) <= 6144


def test_the_call_log_sees_each_adapters_calls_and_flags_undeclared_ones(
    aws: None, clock: Any
) -> None:
    from aws_kit import TARGET, CallLog

    from providers.aws.connection import connect
    from providers.aws.rds import RdsInstances
    from providers.base import AdapterOptions, ProviderConfig

    log = CallLog()
    connection = log.attach(connect(ProviderConfig(regions=(TARGET.region,))))
    adapter = log.track(RdsInstances(connection, AdapterOptions(clock=clock)))
    adapter.discover(TARGET)
    assert log.calls == {"rds": {"tag:GetResources"}}
    assert log.undeclared() == {}
    with log.owner("rds"):
        connection.client("rds", TARGET).describe_db_snapshots()
    assert log.undeclared() == {"rds": {"rds:DescribeDBSnapshots"}}
