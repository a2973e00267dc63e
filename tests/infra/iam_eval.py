"""A small evaluator of IAM identity policies, enough for offhours' own documents.

It follows the documented evaluation logic: an explicit ``Deny`` that matches wins, else
an ``Allow`` that matches allows, else the request is implicitly denied. Actions match
case-insensitively with ``*`` wildcards, resources as ARNs with wildcards. Condition keys
are case-insensitive, and so are the tag keys in ``aws:ResourceTag/<key>`` and
``aws:RequestTag/<key>``; values follow each operator. Supported operators: the ones the
shipped policies use (``Null``, ``Bool``, ``StringEquals``, ``StringEqualsIgnoreCase``,
``StringLike``, ``ArnEquals``, ``ArnLike``, with ``ForAllValues:``/``ForAnyValue:`` and
``...IfExists``); anything else fails the test instead of guessing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    resource_tags: Mapping[str, str] = field(default_factory=dict)
    request_tags: Mapping[str, str] = field(default_factory=dict)
    context: Mapping[str, str] = field(default_factory=dict)

    def values(self, key: str) -> list[str] | None:
        """The request's values for a condition key; None when the key is absent."""
        lowered = key.lower()
        for prefix, tags in (
            ("aws:resourcetag/", self.resource_tags),
            ("aws:requesttag/", self.request_tags),
        ):
            if lowered.startswith(prefix):
                wanted = lowered[len(prefix) :]
                found = [v for k, v in tags.items() if k.lower() == wanted]
                return found or None
        if lowered == "aws:tagkeys":
            return list(self.request_tags) or None
        for name, value in self.context.items():
            if name.lower() == lowered:
                return [value]
        return None


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _compare(operator: str, actual: str, wanted: str) -> bool:
    if operator == "StringEquals":
        return actual == wanted
    if operator == "Bool":
        return actual.lower() == wanted.lower()
    if operator == "StringEqualsIgnoreCase":
        return actual.lower() == wanted.lower()
    if operator in ("StringLike", "ArnLike", "ArnEquals"):
        return fnmatchcase(actual, wanted)
    raise AssertionError(f"the evaluator does not know the condition operator {operator}")


def _condition_holds(operator: str, key: str, wanted: list[str], request: Request) -> bool:
    actual = request.values(key)
    if operator == "Null":
        return (actual is None) == (str(wanted[0]).lower() == "true")
    qualifier, _, base = operator.rpartition(":")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    if actual is None:
        return if_exists or qualifier == "ForAllValues"
    matches = [any(_compare(base, a, str(w)) for w in wanted) for a in actual]
    if qualifier == "ForAllValues":
        return all(matches)
    return any(matches)


def _matches(statement: Mapping[str, Any], request: Request) -> bool:
    actions = _list(statement.get("Action", []))
    if not any(fnmatchcase(request.action.lower(), a.lower()) for a in actions):
        return False
    if not any(fnmatchcase(request.resource, r) for r in _list(statement.get("Resource", []))):
        return False
    for operator, block in statement.get("Condition", {}).items():
        for key, wanted in block.items():
            if not _condition_holds(operator, key, _list(wanted), request):
                return False
    return True


def decide(documents: Iterable[Mapping[str, Any]], request: Request) -> str:
    """``"allow"``, ``"explicit deny"`` or ``"implicit deny"``."""
    statements = [s for doc in documents for s in _list(doc["Statement"])]
    if any(s.get("Effect") == "Deny" and _matches(s, request) for s in statements):
        return "explicit deny"
    if any(s.get("Effect", "Allow") == "Allow" and _matches(s, request) for s in statements):
        return "allow"
    return "implicit deny"
