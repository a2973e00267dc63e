"""The subset of Google list-filter syntax the fake understands.

Compute Engine (``labels.env:*``, ``labels.env = "dev"``, ``(a) (b)`` for AND), Vertex AI
(``labels.k:*``, ``labels.k=v``, ``labels:k``) and Cloud Monitoring (``metric.type = "x" AND
resource.labels.endpoint_id = "1"``) share it: terms are joined by ``AND`` or by
parentheses side by side, and compare one dotted field with ``=``, ``!=`` or ``:``.
Compute Engine also takes ``(a) OR (b)`` (``parse_any``: a disjunction of conjunctions).
Anything else is answered with 400, as the real services do for filters they cannot parse.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sandbox.gcp_fake.world import ApiError

_TERM = re.compile(r'^\s*([A-Za-z_][\w.\-]*)\s*(!=|=|:)\s*(?:"([^"]*)"|([^\s"()]+))\s*$')
# Cloud Monitoring's ``field = one_of("a", "b")`` (https://cloud.google.com/monitoring/api/v3/filters).
_ONE_OF = re.compile(r'^\s*([A-Za-z_][\w.\-]*)\s*=\s*one_of\(\s*((?:"[^"]*"\s*,?\s*)+)\)\s*$')


@dataclass(frozen=True)
class Term:
    field: str
    op: str
    value: str

    def test(self, lookup: Callable[[str], str | None]) -> bool:
        if self.field == "labels" and self.op == ":":  # "labels:key" = key exists
            return lookup(f"labels.{self.value}") is not None
        actual = lookup(self.field)
        if self.op == "one_of":
            return actual in self.value.split("\x1f")
        if self.op == ":" and self.value == "*":
            return actual is not None
        if self.op == "!=":
            return actual != self.value
        return actual == self.value


def parse(text: str) -> list[Term]:
    """All terms of a conjunction; raises ApiError(400) for what the fake cannot read."""
    text = text.strip()
    if not text:
        return []
    if text.startswith("("):
        parts = re.findall(r"\(([^()]*)\)", text)
        rest = re.sub(r"\([^()]*\)|\bAND\b", "", text).strip()
        if rest:
            raise ApiError(400, f"Invalid value for field 'filter': {text!r}")
    else:
        parts = re.split(r"\s+AND\s+", text)
    terms = []
    for part in parts:
        listed = _ONE_OF.match(part)
        if listed:
            values = re.findall(r'"([^"]*)"', listed.group(2))
            terms.append(Term(listed.group(1), "one_of", "\x1f".join(values)))
            continue
        match = _TERM.match(part)
        if not match:
            raise ApiError(400, f"Invalid value for field 'filter': {text!r}")
        field, op, quoted, bare = match.groups()
        terms.append(Term(field, op, quoted if quoted is not None else bare))
    return terms


def parse_any(text: str) -> list[list[Term]]:
    """``(a) OR (b)``: each alternative's terms (one alternative without ``OR``)."""
    return [parse(part) for part in re.split(r"\s+OR\s+", text.strip())]


def labels_lookup(labels: dict[str, str]) -> Callable[[str], str | None]:
    def lookup(field: str) -> str | None:
        if field.startswith("labels."):
            return labels.get(field.removeprefix("labels."))
        return None

    return lookup


def matches(terms: list[Term], lookup: Callable[[str], str | None]) -> bool:
    return all(term.test(lookup) for term in terms)


def matches_any(alternatives: list[list[Term]], lookup: Callable[[str], str | None]) -> bool:
    return any(matches(terms, lookup) for terms in alternatives)
