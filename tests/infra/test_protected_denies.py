"""Defence in depth: every AWS role offhours acts with carries explicit denies on the
protected tags, generated from the same set the code skips (``OFFHOURS_PROTECTED``).

The documents are evaluated with tests/infra/iam_eval.py (explicit deny > allow >
implicit deny): a stop of a schedule-tagged instance is allowed, the same stop of one
that is also tagged ``environment=prod`` (in any spelling of the key and any case of the
value) is denied, and only because of the deny statements."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from iam_eval import Request, decide
from infra_kit import (
    MEMBER_ROLE,
    POLICY_JSON,
    ROOT,
    TEMPLATE,
    Resolver,
    as_list,
    load_cfn,
    load_hcl,
    role_policies,
)

from schedules.protected import DEFAULT, ProtectedTags

ACCOUNT = "123456789012"  # infra_kit.PSEUDO
INSTANCE = f"arn:aws:ec2:eu-west-1:{ACCOUNT}:instance/i-0abc"
SCHEDULED = {"schedule": "office-hours"}
MEMBER_PARAMS = {"SchedulerRoleArn": "arn:aws:iam::210987654321:role/offhours-scheduler"}
IAM_POLICY_CHARS = 6_144  # a managed policy, whitespace not counted
IAM_INLINE_CHARS = 10_240  # all inline policies of one role together
TAGGED = re.compile(r"aws:(Resource|Request)Tag/")


@cache
def policy_file_changes() -> frozenset[str]:
    """Every action offhours-policy.json allows on a tagged resource: what the denies cover."""
    doc = json.loads(POLICY_JSON.read_text())
    return frozenset(
        action
        for statement in doc["Statement"]
        if TAGGED.search(json.dumps(statement.get("Condition", {})))
        for action in as_list(statement["Action"])
    )


@cache
def template(path: Path) -> dict[str, Any]:
    return load_cfn(path)  # parsed once per module: the resolvers only read it


def managed_documents(resolver: Resolver, role: str) -> list[dict[str, Any]]:
    resources = resolver.resources()
    arns = resources[role]["Properties"].get("ManagedPolicyArns", [])
    docs = []
    for arn in arns:
        name = arn.strip("<>")
        doc = resources[name]["Properties"]["PolicyDocument"]
        docs.append(json.loads(doc) if isinstance(doc, str) else doc)
    return docs


def role_documents(deployment: str, **params: str) -> tuple[list[dict[str, Any]], list[dict]]:
    """(inline documents, managed documents) of the role that acts in an account."""
    return _role_documents(deployment, tuple(sorted(params.items())))


@cache
def _role_documents(
    deployment: str, params: tuple[tuple[str, str], ...]
) -> tuple[list[dict[str, Any]], list[dict]]:
    if deployment == "sam":
        resolver = Resolver(template(TEMPLATE), dict(params))
        role = "SchedulerRole"
    else:
        resolver = Resolver(template(MEMBER_ROLE), {**MEMBER_PARAMS, **dict(params)})
        role = "MemberRole"
    inline = list(role_policies(resolver, role).values())
    return inline, managed_documents(resolver, role)


def terraform_denies(protected: dict[str, list[str]]) -> dict[str, Any]:
    """What infra/terraform/aws renders for ``protected_tags``: read from the HCL, so a
    change of its shape fails here (and test_terraform_cli checks the real rendering)."""
    iam = load_hcl(ROOT / "infra/terraform/aws/iam.tf")
    locals_ = {k: v for entry in iam["locals"] for k, v in entry.items()}
    document = next(
        body["protected"]
        for entry in iam["data"]
        for kind, body in entry.items()
        if kind == "aws_iam_policy_document" and "protected" in body
    )
    (dynamic,) = document["dynamic"]
    assert dynamic["statement"]["for_each"] == "${var.protected_tags}"
    (content,) = dynamic["statement"]["content"]
    assert content["effect"] == "Deny" and content["resources"] == ["*"]
    assert content["actions"] == "${local.protected_actions}"
    (condition,) = content["condition"]
    assert condition == {
        "test": "StringEqualsIgnoreCase",
        "variable": "aws:ResourceTag/${statement.key}",
        "values": "${statement.value}",
    }
    assert (
        'jsondecode(file("${path.module}/../../aws/offhours-policy.json")).Statement : s.Action'
        in locals_["protected_actions"]
    )
    assert 'regexall("aws:(Resource|Request)Tag/"' in locals_["protected_actions"]
    keys = sorted(protected)
    return {
        "Statement": [
            {
                "Sid": f"DenyProtectedTag{keys.index(key) + 1}",
                "Effect": "Deny",
                "Action": sorted(policy_file_changes()),
                "Resource": ["*"],
                "Condition": {"StringEqualsIgnoreCase": {f"aws:ResourceTag/{key}": values}},
            }
            for key, values in protected.items()
        ]
    }


def terraform_default() -> dict[str, list[str]]:
    variables = load_hcl(ROOT / "infra/terraform/aws/variables.tf")
    spec = next(v["protected_tags"] for v in variables["variable"] if "protected_tags" in v)
    default: dict[str, list[str]] = spec["default"]
    return default


@cache
def terraform_documents() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The module's allow statements (the policy file with the module's default tag keys)
    and its denies."""
    from test_iam_policies import VALUES, policy_text, render

    allows = render(policy_text(), {**VALUES, "TagKey": "schedule", "IdleTagKey": "idle-stop"})
    return [allows], [terraform_denies(terraform_default())]


def documents(deployment: str) -> list[dict[str, Any]]:
    inline, managed = (
        terraform_documents() if deployment == "terraform" else (role_documents(deployment))
    )
    return [*inline, *managed]


def denied_sets(managed: list[dict[str, Any]]) -> ProtectedTags:
    """The keys and values the deny statements name, as the code's policy type."""
    rules: dict[str, list[str]] = {}
    for doc in managed:
        for statement in doc["Statement"]:
            assert statement["Effect"] == "Deny"
            ((operator, block),) = statement["Condition"].items()
            assert operator == "StringEqualsIgnoreCase"
            ((key, values),) = block.items()
            assert key.startswith("aws:ResourceTag/")
            rules.setdefault(key.removeprefix("aws:ResourceTag/"), []).extend(as_list(values))
    return ProtectedTags.of(rules)


def stop(tags: dict[str, str]) -> Request:
    return Request("ec2:StopInstances", INSTANCE, resource_tags={**SCHEDULED, **tags})


# ------------------------------------------------------------------ the deny works


@pytest.mark.parametrize("deployment", ["sam", "member", "terraform"])
@pytest.mark.parametrize(
    "tags",
    [{"environment": "prod"}, {"Environment": "PROD"}, {"ENV": "Production"}, {"stage": "prod"}],
)
def test_stopping_a_protected_instance_is_denied(deployment: str, tags: dict[str, str]) -> None:
    docs = documents(deployment)
    assert decide(docs, stop({})) == "allow"
    assert decide(docs, stop({"environment": "dev"})) == "allow"
    assert decide(docs, stop(tags)) == "explicit deny"


@pytest.mark.parametrize("deployment", ["sam", "member", "terraform"])
def test_without_the_denies_the_same_stop_would_be_allowed(deployment: str) -> None:
    """The allow statements alone let a schedule-tagged production box be stopped: the
    protection in IAM is the deny, not an accident of the allows."""
    inline, managed = (
        terraform_documents() if deployment == "terraform" else role_documents(deployment)
    )
    assert managed, "no protected-tag policy attached"
    assert decide(inline, stop({"environment": "prod"})) == "allow"
    assert decide([*inline, *managed], stop({"environment": "prod"})) == "explicit deny"


@pytest.mark.parametrize("deployment", ["sam", "member", "terraform"])
@pytest.mark.parametrize("action", sorted(policy_file_changes()))
def test_every_change_offhours_may_make_is_denied_on_a_protected_resource(
    deployment: str, action: str
) -> None:
    docs = documents(deployment)
    resource = f"arn:aws:{action.partition(':')[0]}:eu-west-1:{ACCOUNT}:some/resource"
    request = Request(action, resource, resource_tags={**SCHEDULED, "env": "prod"})
    assert decide(docs, request) == "explicit deny"


def test_the_denies_cover_exactly_the_changes_the_policy_file_allows() -> None:
    for deployment in ("sam", "member"):
        for doc in role_documents(deployment)[1]:
            for statement in doc["Statement"]:
                assert set(statement["Action"]) == policy_file_changes(), deployment


# ------------------------------------------------------------------ the same set as the code


def protected_env(**params: str) -> ProtectedTags:
    resolver = Resolver(template(TEMPLATE), params)
    resources = resolver.resources()
    texts = {
        name: resources[name]["Properties"]["Environment"]["Variables"]["OFFHOURS_PROTECTED"]
        for name in ("SchedulerFunction", "DigestFunction")
        if name in resources
    }
    assert len(set(texts.values())) == 1, texts
    return ProtectedTags.parse(next(iter(texts.values())))


def test_by_default_the_denies_are_the_code_default() -> None:
    assert protected_env(SenderEmail="a@example.com", DigestRecipients="b@example.com") == DEFAULT
    for deployment in ("sam", "member"):
        assert denied_sets(role_documents(deployment)[1]) == DEFAULT, deployment
    assert ProtectedTags.of(terraform_default()) == DEFAULT
    assert denied_sets(terraform_documents()[1]) == DEFAULT


@pytest.mark.parametrize(
    ("keys", "values"),
    [
        ("Tier", "Critical"),
        ("tier,owner-class", "gold,platinum"),
        ("a,b,c,d,e", "x"),
        ("environment,env,stage,tier,cost-center", "prod,production,live"),
    ],
)
def test_the_denies_list_exactly_the_configured_keys_and_values(keys: str, values: str) -> None:
    params = {"ProtectedTagKeys": keys, "ProtectedTagValues": values}
    expected = ProtectedTags.of({k: values.split(",") for k in keys.split(",")})
    assert protected_env(**params) == expected  # what the functions skip
    for deployment in ("sam", "member"):
        assert denied_sets(role_documents(deployment, **params)[1]) == expected  # what IAM denies


def test_terraform_sets_the_environment_from_the_same_map() -> None:
    main = load_hcl(ROOT / "infra/terraform/aws/main.tf")
    locals_ = {k: v for entry in main["locals"] for k, v in entry.items()}
    expression = (
        '${join(",", [for key, values in var.protected_tags : "${key}=${join("|", values)}"])}'
    )
    assert locals_["protected_text"] == expression
    assert locals_["scheduler_env"]["OFFHOURS_PROTECTED"] == "${local.protected_text}"
    assert (
        locals_["digest_env"]["OFFHOURS_PROTECTED"] == "${local.scheduler_env.OFFHOURS_PROTECTED}"
    )
    rendered = ",".join(f"{k}={'|'.join(v)}" for k, v in terraform_default().items())
    assert ProtectedTags.parse(rendered) == DEFAULT


def test_parameters_refuse_what_the_policy_text_cannot_carry() -> None:
    """Five keys at most (the five statements), and no character that would break the
    JSON of the policy or the KEY=VALUE form of the setting."""
    for path in (TEMPLATE, MEMBER_ROLE):
        params = load_cfn(path)["Parameters"]
        keys = re.compile(params["ProtectedTagKeys"]["AllowedPattern"])
        values = re.compile(params["ProtectedTagValues"]["AllowedPattern"])
        assert keys.match("environment,env,stage") and keys.match("a,b,c,d,e")
        assert not keys.match("a,b,c,d,e,f") and not keys.match("") and not keys.match("a=b")
        assert (
            values.match("prod,production")
            and not values.match('prod"')
            and not values.match("a|b")
        )


# ------------------------------------------------------------------ quotas


def _chars(doc: dict[str, Any]) -> int:
    return len(re.sub(r"\s", "", json.dumps(doc)))


def test_the_documents_fit_the_iam_quotas_with_five_long_keys() -> None:
    params = {
        "ProtectedTagKeys": ",".join(f"protected-key-number-{i}" for i in range(5)),
        "ProtectedTagValues": "production,prod,live,critical",
        "AccountsSource": "organizations",
    }
    for deployment in ("sam", "member"):
        inline, managed = role_documents(deployment, **params)
        assert sum(_chars(d) for d in inline) < IAM_INLINE_CHARS, deployment
        assert all(_chars(d) < IAM_POLICY_CHARS for d in managed), deployment
