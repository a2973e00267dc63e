"""Least privilege from one source: infra/aws/offhours-policy.json (with CloudFormation
``!Sub``-style placeholders) is the scheduler's policy. The SAM scheduler role, the member
role and the Terraform module carry exactly its statements (Sid by Sid, placeholders
filled in), they cover every registered AWS adapter's permissions, and nothing they grant
is a wildcard action or an untagged write on everything."""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase
from typing import Any

import pytest
from infra_kit import (
    MEMBER_ROLE,
    POLICY_JSON,
    ROOT,
    SCHEDULER_ONLY_SIDS,
    TEMPLATE,
    Resolver,
    as_list,
    load_cfn,
    load_hcl,
    role_policies,
)

import providers
from providers.aws import account_tags, targets
from providers.aws.rds import STOPPED_AT_TAG

READ_ONLY = re.compile(r"^[a-z0-9-]+:(Describe|List|Get)[A-Za-z]*$")
TAG_CONDITION = re.compile(r"aws:(Resource|Request)Tag/")
PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")
PLACEHOLDERS = {
    "AWS::Partition",
    "AWS::AccountId",
    "TagKey",
    "IdleTagKey",
    "LedgerBucket",
    "LedgerPrefix",
    "MemberRoleName",
}
# Scheduler statements that belong to the stack, not to offhours-policy.json.
# Statements beside the resource policy: logs, metrics, the failure queue, and the snooze
# key the scheduler signs its notices' links with (Terraform: snooze.tf).
PLUMBING_SIDS = {"WriteLogs", "RunMetrics", "ReportFailures", "ReadSnoozeKey"}
# Only a scheduler reaching member accounts (AccountsSource) needs these.
CONDITIONAL_SIDS = {
    "this-account": {"EnterMemberAccounts", "ListOrganizationAccounts"},
    "list": {"ListOrganizationAccounts"},
    "organizations": set(),
}
# Non-default values, so a parameter that does not reach its placeholder shows.
TAG_KEY, IDLE_TAG_KEY, MEMBER_ROLE_NAME, BUCKET = "office-hours", "idle-x", "ofh-m", "ledger-b"
SCHEDULER_ARN = "arn:aws:iam::210987654321:role/offhours-SchedulerRole-ABC"
MEMBER_PARAMS = {"SchedulerRoleArn": SCHEDULER_ARN, "TagKey": TAG_KEY, "IdleTagKey": IDLE_TAG_KEY}
STACK_PARAMS = {
    "TagKey": TAG_KEY,
    "IdleTagKey": IDLE_TAG_KEY,
    "MemberRoleName": MEMBER_ROLE_NAME,
    "ExistingBucketName": BUCKET,
    "Accounts": "111111111111",
}
EVERYTHING = {
    "AccountsSource": "organizations",
    "SenderEmail": "offhours@example.com",
    "DigestRecipients": "finops@example.com",
    "EnableStepFunctions": "true",
}
VALUES = {
    "AWS::Partition": "aws",
    "AWS::AccountId": "123456789012",  # infra_kit.PSEUDO
    "TagKey": TAG_KEY,
    "IdleTagKey": IDLE_TAG_KEY,
    "LedgerBucket": BUCKET,
    "LedgerPrefix": "offhours",
    "MemberRoleName": MEMBER_ROLE_NAME,
}
# Terraform expressions the module must fill each placeholder with, and test values.
TERRAFORM_SOURCES = {
    "AWS::Partition": "${local.partition}",
    "AWS::AccountId": "${local.account_id}",
    "TagKey": "${var.tag_key}",
    "IdleTagKey": "${var.idle_tag_key}",
    "LedgerBucket": "${local.bucket_name}",
    "LedgerPrefix": "${local.ledger_prefix}",
    "MemberRoleName": "${var.member_role_name}",
}


# ------------------------------------------------------------------ helpers


def policy_text() -> str:
    return POLICY_JSON.read_text()


def policy_file() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(policy_text())
    return data


def render(text: str, values: dict[str, str]) -> dict[str, Any]:
    """The JSON with its placeholders filled in (what !Sub or the Terraform replaces do)."""
    filled = PLACEHOLDER.sub(lambda m: values[m.group(1)], text)
    assert "${" not in filled
    data: dict[str, Any] = json.loads(filled)
    return data


def canonical(statement: dict[str, Any]) -> dict[str, Any]:
    """Order-free form: a single string and a one-element list are the same."""

    def values(v: Any) -> list[str]:
        return sorted(str(x) for x in as_list(v))

    return {
        "Sid": statement.get("Sid"),
        "Effect": statement.get("Effect", "Allow"),
        "Action": values(statement["Action"]),
        "Resource": values(statement["Resource"]),
        "Condition": {
            op: {key: values(v) for key, v in block.items()}
            for op, block in statement.get("Condition", {}).items()
        },
    }


def by_sid(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    statements = [s for doc in docs for s in as_list(doc["Statement"])]
    sids = [s.get("Sid") for s in statements]
    assert None not in sids, "every statement needs a Sid"
    assert len(sids) == len(set(sids)), f"duplicate Sids: {sids}"
    return {s["Sid"]: canonical(s) for s in statements}


def wanted(exclude: frozenset[str] | set[str] = frozenset()) -> dict[str, dict[str, Any]]:
    doc = render(policy_text(), VALUES)
    return by_sid([{"Statement": [s for s in doc["Statement"] if s["Sid"] not in exclude]}])


def scheduler_docs(**params: str) -> list[dict[str, Any]]:
    resolver = Resolver(load_cfn(TEMPLATE), {**STACK_PARAMS, **params})
    return list(role_policies(resolver, "SchedulerRole").values())


def member_docs() -> list[dict[str, Any]]:
    return list(
        role_policies(Resolver(load_cfn(MEMBER_ROLE), MEMBER_PARAMS), "MemberRole").values()
    )


def cfn_policy_text(path: Any) -> str:
    """The OffhoursResourcePolicy JSON string of a template, as written."""
    text = path.read_text()
    start = text.index("PolicyName: OffhoursResourcePolicy")
    block = text[start:].split("PolicyDocument: !Sub |", 1)[1]
    lines = []
    for line in block.splitlines()[1:]:
        if line.strip() and not line.startswith(" " * 12):
            break
        lines.append(line[12:])
    return "\n".join(lines).strip()


def terraform_locals() -> dict[str, Any]:
    iam = load_hcl(ROOT / "infra/terraform/aws/iam.tf")
    return {k: v for entry in iam["locals"] for k, v in entry.items()}


def terraform_statements(accounts_source: str) -> dict[str, dict[str, Any]]:
    """What the module's OffhoursResourcePolicy renders to: its placeholder values applied
    to the JSON, minus the Sids it leaves out for this accounts_source."""
    locals_ = terraform_locals()
    values = {name: VALUES[name] for name in locals_["policy_values"]}
    doc = render(policy_text(), values)
    unused = set(CONDITIONAL_SIDS[accounts_source])
    return by_sid([{"Statement": [s for s in doc["Statement"] if s["Sid"] not in unused]}])


def needed_by_adapters() -> set[str]:
    return {p for path in providers.KINDS["aws"].values() for p in providers.load(path).permissions}


def allows(statements: dict[str, dict[str, Any]], action: str) -> bool:
    return any(
        fnmatchcase(action.lower(), pattern.lower())
        for s in statements.values()
        if s["Effect"] == "Allow"
        for pattern in s["Action"]
    )


# ------------------------------------------------------------------ the JSON itself


def test_policy_file_uses_only_the_known_placeholders() -> None:
    used = set(PLACEHOLDER.findall(policy_text()))
    assert used == PLACEHOLDERS
    doc = policy_file()
    assert doc["Version"] == "2012-10-17"
    assert {s["Sid"] for s in doc["Statement"]} >= SCHEDULER_ONLY_SIDS
    # Every ARN is partition-neutral; resources offhours changes are in the account at hand.
    for statement in doc["Statement"]:
        for arn in as_list(statement["Resource"]):
            assert arn == "*" or arn.startswith("arn:${AWS::Partition}:"), arn
            service = arn.split(":")[2] if arn != "*" else ""
            if service in {"ec2", "autoscaling", "ecs", "rds", "sagemaker"}:
                assert arn.split(":")[4] == "${AWS::AccountId}", arn


def test_ledger_grants_stay_under_the_prefix() -> None:
    statements = {s["Sid"]: s for s in policy_file()["Statement"]}
    objects, listing = statements["LedgerObjects"], statements["LedgerListing"]
    assert as_list(objects["Resource"]) == [
        "arn:${AWS::Partition}:s3:::${LedgerBucket}/${LedgerPrefix}/*"
    ]
    assert as_list(listing["Resource"]) == ["arn:${AWS::Partition}:s3:::${LedgerBucket}"]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["${LedgerPrefix}/*"]}}


def test_tagging_actions_may_only_write_offhours_own_tag_keys() -> None:
    """ASG, ECS and RDS tag writes are for offhours' bookkeeping tags only. sagemaker:AddTags
    is authorised as part of CreateEndpoint (re-creating an endpoint with its own tags),
    which the statement limits to requests carrying the schedule or idle tag."""
    own = {STOPPED_AT_TAG}
    for statement in policy_file()["Statement"]:
        actions = as_list(statement["Action"])
        writes = [a for a in actions if "Tag" in a.split(":")[1] and not READ_ONLY.match(a)]
        if not writes:
            continue
        if writes == ["sagemaker:AddTags"]:
            assert "sagemaker:CreateEndpoint" in statement["Action"], statement["Sid"]
            assert TAG_CONDITION.search(json.dumps(statement["Condition"])), statement["Sid"]
            continue
        keys = statement["Condition"]["ForAllValues:StringEquals"]["aws:TagKeys"]
        assert set(as_list(keys)) <= own, (statement["Sid"], keys)


# ------------------------------------------------------------------ (1) coverage


def test_policy_file_covers_every_registered_adapter_and_the_targets() -> None:
    statements = wanted()
    needed = needed_by_adapters() | set(targets.PERMISSIONS) | {"sts:AssumeRole"}
    assert sorted(a for a in needed if not allows(statements, a)) == []


@pytest.mark.parametrize("deployment", ["sam", "member", "terraform"])
def test_each_deployment_covers_every_registered_adapter(deployment: str) -> None:
    in_account = needed_by_adapters() | {"sts:GetCallerIdentity", "ec2:DescribeRegions"}
    if deployment == "member":
        statements = by_sid(member_docs())
        # Account tags are read in Organizations, from the scheduler's own account.
        needed = in_account - {account_tags.PERMISSION}
    else:
        statements = (
            by_sid(scheduler_docs(**EVERYTHING))
            if deployment == "sam"
            else terraform_statements("organizations")
        )
        needed = in_account | set(targets.PERMISSIONS) | {"sts:AssumeRole"}
        needed |= {"s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"}
    assert sorted(a for a in needed if not allows(statements, a)) == []


# ------------------------------------------------------------------ (2) same statements


@pytest.mark.parametrize("source", sorted(CONDITIONAL_SIDS))
def test_sam_scheduler_role_carries_exactly_the_policy_file(source: str) -> None:
    granted = by_sid(scheduler_docs(AccountsSource=source))
    expected = wanted(exclude=CONDITIONAL_SIDS[source])
    assert set(granted) - set(expected) <= PLUMBING_SIDS, sorted(set(granted) - set(expected))
    for sid, statement in expected.items():
        assert granted.get(sid) == statement, sid


def test_sam_scheduler_role_with_a_bucket_of_its_own() -> None:
    granted = by_sid(scheduler_docs(ExistingBucketName=""))
    doc = render(policy_text(), {**VALUES, "LedgerBucket": "<LedgerBucket>"})
    for statement in doc["Statement"]:
        if statement["Sid"] in {"LedgerObjects", "LedgerListing"}:
            assert granted[statement["Sid"]] == canonical(statement)


def test_member_role_carries_exactly_the_per_account_statements() -> None:
    assert by_sid(member_docs()) == wanted(exclude=SCHEDULER_ONLY_SIDS)


def test_both_templates_inline_the_policy_file_text_verbatim() -> None:
    """OffhoursResourcePolicy of template.yaml and member-role.yaml is the JSON file's
    per-account statements, character for character (so copying is the only way to edit)."""
    doc = policy_file()
    per_account = {
        "Version": doc["Version"],
        "Statement": [s for s in doc["Statement"] if s["Sid"] not in SCHEDULER_ONLY_SIDS],
    }
    expected = json.dumps(per_account, indent=2)
    for path in (TEMPLATE, MEMBER_ROLE):
        assert cfn_policy_text(path) == expected, f"{path.name}: paste this block:\n{expected}"


def test_terraform_fills_every_placeholder_from_its_inputs() -> None:
    locals_ = terraform_locals()
    assert locals_["policy_values"] == TERRAFORM_SOURCES
    assert locals_["ledger_prefix"] == VALUES["LedgerPrefix"]
    text = locals_["policy_text"]
    assert 'file("${path.module}/../../aws/offhours-policy.json")' in text
    pairs = re.findall(r'"\$\$\{([^}]+)\}", local\.policy_values(?:\["([^"]+)"\]|\.(\w+))\)', text)
    assert {name for name, *_ in pairs} == PLACEHOLDERS
    for name, indexed, attribute in pairs:
        assert name == (indexed or attribute), name
    assert "jsondecode(local.policy_text)" in locals_["policy_file"]


def test_terraform_grants_the_policy_file_minus_only_unused_member_statements() -> None:
    locals_ = terraform_locals()
    unused = locals_["unused_sids"]
    assert 'local.uses_members ? [] : ["EnterMemberAccounts"]' in unused
    assert 'var.accounts_source == "organizations" ? [] : ["ListOrganizationAccounts"]' in unused
    assert (
        "Statement = [for s in local.policy_file.Statement : s if "
        "!contains(local.unused_sids, s.Sid)]" in locals_["scheduler_policy"]
    )
    iam = load_hcl(ROOT / "infra/terraform/aws/iam.tf")
    policies = {
        name: body
        for entry in iam["resource"]
        for kind, bodies in entry.items()
        if kind == "aws_iam_role_policy"
        for name, body in bodies.items()
    }
    assert policies["scheduler_resources"]["policy"] == "${local.scheduler_policy}"
    run = next(
        body["scheduler_run"]
        for entry in iam["data"]
        for kind, body in entry.items()
        if kind == "aws_iam_policy_document" and "scheduler_run" in body
    )
    assert {s["sid"] for s in as_list(run["statement"])} <= PLUMBING_SIDS
    assert "dynamic" not in run


@pytest.mark.parametrize("source", sorted(CONDITIONAL_SIDS))
def test_terraform_and_sam_grant_the_same_statements(source: str) -> None:
    sam = by_sid(scheduler_docs(AccountsSource=source))
    terraform = terraform_statements(source)
    assert {sid: sam[sid] for sid in terraform} == terraform
    assert set(sam) - set(terraform) <= PLUMBING_SIDS


# ------------------------------------------------------------------ (3) no broad grants


def every_role_document() -> list[tuple[str, dict[str, Any]]]:
    template = load_cfn(TEMPLATE)
    resolver = Resolver(template, {**STACK_PARAMS, **EVERYTHING})
    docs = []
    for name, resource in resolver.resources().items():
        if resource["Type"] == "AWS::IAM::Role":
            docs += [(f"{name}/{p}", d) for p, d in role_policies(resolver, name).items()]
    member = Resolver(load_cfn(MEMBER_ROLE), MEMBER_PARAMS)
    docs += [(f"member/{p}", d) for p, d in role_policies(member, "MemberRole").items()]
    docs.append(("offhours-policy.json", render(policy_text(), VALUES)))
    docs.append(("terraform", {"Statement": list(terraform_statements("organizations").values())}))
    return docs


def test_no_wildcard_actions_and_no_unconditioned_writes_on_everything() -> None:
    for where, doc in every_role_document():
        for statement in as_list(doc["Statement"]):
            if statement.get("Effect", "Allow") != "Allow":
                continue
            actions = as_list(statement["Action"])
            assert not [a for a in actions if "*" in a], f"{where}: wildcard action {actions}"
            writes = [a for a in actions if not READ_ONLY.match(a)]
            if writes and "*" in as_list(statement["Resource"]):
                assert statement.get("Condition"), f"{where}: {writes} on '*' without a condition"


def test_policy_file_writes_carry_a_tag_condition() -> None:
    """Every write of the JSON (hence of every deployment) needs the schedule or idle tag,
    except the KMS grant EC2 makes for encrypted volumes, the ledger, the member role, and
    an ECS service's scalable target (it does not carry the service's tags; the statement
    is limited to the account's scalable targets)."""
    exempt = {
        "Ec2EncryptedVolumes",
        "LedgerObjects",
        "EnterMemberAccounts",
        "EcsLowerMinimum",
    }
    for statement in policy_file()["Statement"]:
        writes = [a for a in as_list(statement["Action"]) if not READ_ONLY.match(a)]
        if not writes or statement["Sid"] in exempt:
            continue
        keys = {k for block in statement.get("Condition", {}).values() for k in block}
        assert keys & {
            "aws:ResourceTag/${TagKey}",
            "aws:ResourceTag/${IdleTagKey}",
            "aws:RequestTag/${TagKey}",
            "aws:RequestTag/${IdleTagKey}",
        }, statement["Sid"]
        assert "*" not in as_list(statement["Resource"]), statement["Sid"]


# ------------------------------------------------------------------ other roles


def test_tag_keys_follow_the_parameters() -> None:
    text = json.dumps(scheduler_docs())
    assert f"aws:ResourceTag/{TAG_KEY}" in text and "aws:ResourceTag/schedule" not in text
    assert f"aws:ResourceTag/{IDLE_TAG_KEY}" in text and "idle-stop" not in text


def test_member_role_trusts_only_the_scheduler_role() -> None:
    member = load_cfn(MEMBER_ROLE)
    role = Resolver(member, MEMBER_PARAMS).resources()["MemberRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"AWS": "arn:aws:iam::210987654321:root"}
    assert trust["Condition"] == {"ArnEquals": {"aws:PrincipalArn": SCHEDULER_ARN}}
    assert role["RoleName"] == "offhours-member"
    assert "Transform" not in member  # service-managed StackSets refuse transforms


def test_ses_and_metrics_are_scoped() -> None:
    resolver = Resolver(load_cfn(TEMPLATE), EVERYTHING)
    for name in ("SchedulerRole", "DigestRole"):
        for doc in role_policies(resolver, name).values():
            for statement in doc["Statement"]:
                actions = as_list(statement["Action"])
                if "cloudwatch:PutMetricData" in actions:
                    assert statement["Condition"] == {
                        "StringEquals": {"cloudwatch:namespace": "offhours"}
                    }
                if any(a.startswith("ses:") for a in actions):
                    resources = as_list(statement["Resource"])
                    assert all(":identity/" in r for r in resources), resources
                    assert {r.rsplit("/", 1)[1] for r in resources} == {
                        "offhours@example.com",
                        "example.com",
                    }
