"""Least privilege: the SAM scheduler role, the member role and the Terraform module grant
what infra/aws/offhours-policy.json grants, with the same tag conditions, and nothing
broader."""

from __future__ import annotations

import fnmatch
import json
import re
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
    normalise_arn,
    role_policies,
    triples,
)

READ_ONLY = re.compile(r"^[a-z0-9-]+:(Describe|List|Get)[A-Za-z]*$")
TAG_CONDITION = re.compile(r"aws:(Resource|Request)Tag/")
MEMBER_PARAMS = {"SchedulerRoleArn": "arn:aws:iam::210987654321:role/offhours-SchedulerRole-ABC"}
EVERYTHING = {
    "AccountsSource": "organizations",
    "SenderEmail": "offhours@example.com",
    "DigestRecipients": "finops@example.com",
    "EnableStepFunctions": "true",
}


@pytest.fixture(scope="module")
def template() -> dict:
    return load_cfn(TEMPLATE)


@pytest.fixture(scope="module")
def policy_file() -> dict:
    if not POLICY_JSON.exists():
        pytest.skip("infra/aws/offhours-policy.json not written yet")
    data: dict = json.loads(POLICY_JSON.read_text())
    return data


def resource_policy_text(path: Any) -> str:
    text = path.read_text()
    start = text.index("PolicyName: OffhoursResourcePolicy")
    block = text[start:].split("PolicyDocument: !Sub |", 1)[1]
    lines = []
    for line in block.splitlines()[1:]:
        if line.strip() and not line.startswith(" " * 12):
            break
        lines.append(line)
    return "\n".join(lines).rstrip()


def scheduler_docs(template: dict, **params: str) -> list[dict]:
    return list(
        role_policies(Resolver(template, {**EVERYTHING, **params}), "SchedulerRole").values()
    )


def all_triples(docs: list[dict]) -> set[tuple[str, str, str]]:
    return set().union(*(triples(d) for d in docs))


def test_scheduler_role_covers_the_policy_file(template: dict, policy_file: dict) -> None:
    granted = all_triples(scheduler_docs(template, ExistingBucketName="ledger-bucket"))
    wanted_doc = {
        "Statement": [
            s for s in policy_file["Statement"] if s.get("Sid") not in SCHEDULER_ONLY_SIDS
        ]
    }
    missing = triples(wanted_doc) - granted
    assert not missing, f"template.yaml lacks grants of offhours-policy.json: {sorted(missing)}"


def test_scheduler_only_statements_are_covered_within_the_stack(
    template: dict, policy_file: dict
) -> None:
    """Ledger, member-role and organization statements: same actions; the template may
    scope the ledger to its ``offhours/`` prefix (narrower than ``${LedgerBucket}/*``)."""
    docs = scheduler_docs(
        template, ExistingBucketName="ledger-bucket", MemberRoleName="offhours-member"
    )
    granted = all_triples(docs)
    substitutions = {"${LedgerBucket}": "ledger-bucket", "${MemberRoleName}": "offhours-member"}
    for statement in policy_file["Statement"]:
        if statement.get("Sid") not in SCHEDULER_ONLY_SIDS:
            continue
        for action in as_list(statement["Action"]):
            for written in as_list(statement["Resource"]):
                resource = written
                for placeholder, value in substitutions.items():
                    resource = resource.replace(placeholder, value)
                wanted = normalise_arn(resource)
                ok = [r for a, r, _ in granted if a == action and fnmatch.fnmatchcase(r, wanted)]
                assert ok, f"{statement['Sid']}: template grants no {action} on {wanted}"


def test_member_role_has_the_same_resource_policy(template: dict) -> None:
    assert resource_policy_text(MEMBER_ROLE) == resource_policy_text(TEMPLATE)
    policies = role_policies(Resolver(load_cfn(MEMBER_ROLE), MEMBER_PARAMS), "MemberRole")
    schedulers = role_policies(Resolver(template), "SchedulerRole")
    assert policies["OffhoursResourcePolicy"] == schedulers["OffhoursResourcePolicy"]


def test_tag_keys_follow_the_parameters(template: dict) -> None:
    docs = role_policies(Resolver(template, {"TagKey": "office-hours"}), "SchedulerRole")
    text = json.dumps(docs["OffhoursResourcePolicy"])
    assert "aws:ResourceTag/office-hours" in text and "aws:ResourceTag/schedule" not in text


def test_member_role_trusts_only_the_scheduler_role() -> None:
    member = load_cfn(MEMBER_ROLE)
    arn = "arn:aws:iam::210987654321:role/offhours-SchedulerRole-ABC"
    role = Resolver(member, {"SchedulerRoleArn": arn}).resources()["MemberRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"AWS": "arn:aws:iam::210987654321:root"}
    assert trust["Condition"] == {"ArnEquals": {"aws:PrincipalArn": arn}}
    assert role["RoleName"] == "offhours-member"
    assert "Transform" not in member  # service-managed StackSets refuse transforms


def every_role_document(template: dict) -> list[tuple[str, dict]]:
    resolver = Resolver(template, EVERYTHING)
    docs = []
    for name, resource in resolver.resources().items():
        if resource["Type"] == "AWS::IAM::Role":
            docs += [(f"{name}/{p}", d) for p, d in role_policies(resolver, name).items()]
    member = Resolver(load_cfn(MEMBER_ROLE), MEMBER_PARAMS)
    docs += [(f"member/{p}", d) for p, d in role_policies(member, "MemberRole").items()]
    return docs


def test_no_wildcard_actions_and_no_unconditioned_writes_on_everything(template: dict) -> None:
    for where, doc in every_role_document(template):
        for statement in as_list(doc["Statement"]):
            if statement.get("Effect", "Allow") != "Allow":
                continue
            actions = as_list(statement["Action"])
            assert not [a for a in actions if "*" in a], f"{where}: wildcard action {actions}"
            writes = [a for a in actions if not READ_ONLY.match(a)]
            if writes and "*" in as_list(statement["Resource"]):
                assert statement.get("Condition"), f"{where}: {writes} on '*' without a condition"


def test_resource_writes_carry_a_tag_condition(template: dict) -> None:
    docs = role_policies(Resolver(template), "SchedulerRole")
    for statement in docs["OffhoursResourcePolicy"]["Statement"]:
        writes = [a for a in as_list(statement["Action"]) if not READ_ONLY.match(a)]
        if not writes or writes == ["kms:CreateGrant"]:
            continue
        assert TAG_CONDITION.search(json.dumps(statement.get("Condition", {}))), statement["Sid"]


def test_ses_and_metrics_are_scoped(template: dict) -> None:
    resolver = Resolver(template, EVERYTHING)
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


def test_terraform_reads_the_policy_file_and_scopes_the_rest() -> None:
    iam = load_hcl(ROOT / "infra/terraform/aws/iam.tf")
    locals_ = {k: v for entry in iam["locals"] for k, v in entry.items()}
    assert set(locals_["scheduler_only_sids"]) == SCHEDULER_ONLY_SIDS
    assert "../../aws/offhours-policy.json" in locals_["policy_text"]
    assert "Tag/${var.tag_key}" in locals_["policy_text"]
    run = next(
        body["scheduler_run"]
        for entry in iam["data"]
        for kind, body in entry.items()
        if kind == "aws_iam_policy_document" and "scheduler_run" in body
    )
    sids = {s["sid"] for s in run["statement"]} | {
        c["sid"] for d in _dynamic(run) for c in as_list(d["content"])
    }
    assert {
        "LedgerObjects",
        "LedgerListing",
        "EnterMemberAccounts",
        "ListOrganizationAccounts",
    } <= sids


def _dynamic(block: dict) -> list[dict]:
    found = []
    for entry in as_list(block.get("dynamic", [])):
        for name, body in entry.items():
            if name == "statement":
                found.extend(as_list(body))
    return found
