"""Helpers for the deployment checks: read CloudFormation YAML (short-form tags), resolve
the few intrinsic functions the templates use, read Terraform with python-hcl2, and
normalise IAM statements so documents written three ways can be compared."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
MEMBER_ROLE = ROOT / "infra" / "aws" / "member-role.yaml"
POLICY_JSON = ROOT / "infra" / "aws" / "offhours-policy.json"
STATE_MACHINE = ROOT / "infra" / "aws" / "state-machine.asl.json"
GCP_ROLE = ROOT / "infra" / "gcp" / "offhours-role.yaml"
AZURE_ROLE = ROOT / "infra" / "azure" / "offhours-role.json"
TERRAFORM = ROOT / "infra" / "terraform"
MODULES = ("aws", "gcp", "azure")
# Statements of offhours-policy.json that only the scheduler's own role has (scoped to
# its stack: the ledger bucket, member roles, the organization), not the member role.
SCHEDULER_ONLY_SIDS = {
    "LedgerObjects",
    "LedgerListing",
    "EnterMemberAccounts",
    "ListOrganizationAccounts",
}
PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::AccountId": "123456789012",
    "AWS::Region": "eu-west-1",
    "AWS::StackName": "offhours",
    "AWS::URLSuffix": "amazonaws.com",
}


class _Loader(yaml.SafeLoader):
    pass


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    if suffix == "Condition":
        return {"Condition": value}
    return {f"Fn::{suffix}": value}


_Loader.add_multi_constructor("!", _tag)


def load_cfn(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.load(path.read_text(), Loader=_Loader)  # a SafeLoader subclass
    return data


class Resolver:
    """Evaluate a template's values for one set of parameter values."""

    def __init__(self, template: Mapping[str, Any], params: Mapping[str, str] | None = None):
        self.template = template
        self.params = {
            name: str(spec.get("Default", ""))
            for name, spec in template.get("Parameters", {}).items()
        }
        self.params.update(params or {})
        self.conditions: dict[str, bool] = {}

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            self.conditions[name] = bool(self.value(self.template["Conditions"][name]))
        return self.conditions[name]

    def ref(self, name: str) -> Any:
        if name in self.params:
            spec = self.template["Parameters"][name]
            if spec.get("Type") == "CommaDelimitedList":
                return [v for v in self.params[name].split(",") if v]
            return self.params[name]
        if name in PSEUDO:
            return PSEUDO[name]
        if name == "AWS::NoValue":
            return _NO_VALUE
        return f"<{name}>"  # a resource's Ref

    def sub(self, text: str, extra: Mapping[str, Any] | None = None) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if extra and name in extra:
                return str(extra[name])
            if "." in name:
                return f"<{name}>"
            return str(self.ref(name))

        return re.sub(r"\$\{([^}!]+)\}", replace, text)

    def value(self, node: Any) -> Any:  # noqa: PLR0911, C901 - one branch per function
        if isinstance(node, list):
            items = [self.value(v) for v in node]
            return [v for v in items if v is not _NO_VALUE]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, arg),) = node.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Condition":
                return self.condition(arg)
            if key == "Fn::If":
                name, yes, no = arg
                return self.value(yes if self.condition(name) else no)
            if key == "Fn::Equals":
                left, right = (self.value(v) for v in arg)
                return str(left) == str(right)
            if key == "Fn::Not":
                return not self.value(arg[0])
            if key == "Fn::And":
                return all(self.value(v) for v in arg)
            if key == "Fn::Or":
                return any(self.value(v) for v in arg)
            if key == "Fn::Sub":
                if isinstance(arg, str):
                    return self.sub(arg)
                text, variables = arg
                return self.sub(text, {k: self.value(v) for k, v in variables.items()})
            if key == "Fn::GetAtt":
                return f"<{'.'.join(arg)}>"
            if key == "Fn::Join":
                sep, items = arg
                return sep.join(str(v) for v in self.value(items))
            if key == "Fn::Split":
                sep, text = arg
                return str(self.value(text)).split(sep)
            if key == "Fn::Select":
                index, items = arg
                return self.value(items)[int(index)]
            if key == "Fn::FindInMap":
                name, top, second = (self.value(v) for v in arg)
                return self.template["Mappings"][name][str(top)][second]
        result = {k: self.value(v) for k, v in node.items()}
        return {k: v for k, v in result.items() if v is not _NO_VALUE}

    def resources(self) -> dict[str, dict[str, Any]]:
        """Resources that exist for these parameters, with their properties resolved."""
        out = {}
        for name, resource in self.template["Resources"].items():
            if "Condition" in resource and not self.condition(resource["Condition"]):
                continue
            out[name] = {**resource, "Properties": self.value(resource.get("Properties", {}))}
        return out


_NO_VALUE = object()


def role_policies(resolver: Resolver, role: str) -> dict[str, dict[str, Any]]:
    """Policy name -> policy document (JSON strings parsed) of one IAM role."""
    props = resolver.resources()[role]["Properties"]
    docs = {}
    for policy in props.get("Policies", []):
        doc = policy["PolicyDocument"]
        docs[policy["PolicyName"]] = json.loads(doc) if isinstance(doc, str) else doc
    return docs


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def normalise_arn(arn: str) -> str:
    """Partition -> aws, any account id (or placeholder) -> *, bucket/role placeholders kept."""
    arn = re.sub(r"^arn:[^:]+:", "arn:aws:", arn)
    return re.sub(r"^(arn:aws:[a-z0-9-]+:[^:]*:)(\d{12}|<[^>]+>|\$\{[^}]+\})(?=:)", r"\1*", arn)


def triples(
    doc: Mapping[str, Any], tag_keys: Mapping[str, str] | None = None
) -> set[tuple[str, str, str]]:
    """(action, resource, condition JSON) for every Allow grant of a policy document."""
    out = set()
    for statement in as_list(doc["Statement"]):
        if statement.get("Effect", "Allow") != "Allow":
            continue
        condition = json.dumps(statement.get("Condition", {}), sort_keys=True)
        for placeholder, value in (tag_keys or {}).items():
            condition = condition.replace(placeholder, value)
        for action in as_list(statement["Action"]):
            for resource in as_list(statement["Resource"]):
                out.add((action, normalise_arn(resource), condition))
    return out


def load_hcl(path: Path) -> dict[str, Any]:
    import hcl2

    with path.open() as handle:
        data: dict[str, Any] = hcl2.load(
            handle,
            serialization_options=hcl2.SerializationOptions(
                strip_string_quotes=True, explicit_blocks=False
            ),
        )
    return data


def module_files(module: str, examples: bool = False) -> list[Path]:
    base = TERRAFORM / module
    files = sorted(base.glob("*.tf"))
    if examples:
        files += sorted((base / "examples").rglob("*.tf"))
    return files


def blocks(data: Mapping[str, Any], kind: str) -> Iterable[tuple[str, Any]]:
    """(name, body) of every ``variable``/``output``/... block in parsed HCL."""
    for entry in data.get(kind, []):
        yield from entry.items()


def skip_unless(path: Path, what: str) -> None:
    import pytest

    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} ({what}) is missing")
