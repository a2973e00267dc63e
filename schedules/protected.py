"""Which tags mean "never touch": the one protected-tag policy every part asks.

The planner, the opportunities of the digest and anything else that must decide "is this
resource protected?" call ``ProtectedTags.match``. Keys are compared case-insensitively
(IAM treats tag keys that way too) and values trimmed and case-insensitively, so
``Environment=prod``, ``environment="prod "`` and ``ENV=Production`` are all protected
when ``environment`` and ``env`` are configured. Both are compared as a person reads them:
NFKC-normalised (fullwidth ``ｐｒｏｄ`` is ``prod``), with zero-width and other invisible
format characters dropped, and Cyrillic and Greek letters that look like Latin ones read
as those (``prоd`` with a Cyrillic ``о`` is ``prod``). A spelling that looks protected is
protected: that errs on the side of leaving a resource alone.

The text form (setting ``protected``, ``--protected``, ``OFFHOURS_PROTECTED``) is
comma-separated rules ``KEY[|KEY...]=VALUE[|VALUE...]``; keys joined by ``|`` share their
values: ``environment|env|stage=prod|production`` is the default. The same set generates
the explicit IAM denies of the AWS deployments (template.yaml, infra/terraform/aws).

Plain data: stdlib only, no cloud.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

DEFAULT_TEXT = "environment|env|stage=prod|production"


class ProtectedTagsError(ValueError):
    """The text form is malformed; the message shows the valid form."""


# Lowercase Cyrillic and Greek letters that Unicode's confusables table (UTS #39,
# confusables.txt) maps to a single Latin letter; applied after case folding.
_LOOKALIKES = str.maketrans(
    {
        "а": "a", "е": "e", "һ": "h", "і": "i", "ј": "j", "о": "o", "р": "p", "с": "c",
        "у": "y", "х": "x", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w",
        "α": "a", "ι": "i", "ο": "o", "ρ": "p",
    }
)  # fmt: skip


def normalise(text: str) -> str:
    """How keys and values are compared: NFKC, invisible format characters dropped,
    trimmed, case folded, Latin look-alikes read as Latin."""
    text = unicodedata.normalize("NFKC", str(text))
    visible = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return visible.strip().casefold().translate(_LOOKALIKES)


@dataclass(frozen=True)
class ProtectedTags:
    """Normalised key -> normalised values that protect a resource."""

    rules: Mapping[str, frozenset[str]]

    @classmethod
    def of(cls, rules: Mapping[str, Iterable[str]]) -> ProtectedTags:
        merged: dict[str, set[str]] = {}
        for key, values in rules.items():
            merged.setdefault(normalise(key), set()).update(normalise(v) for v in values)
        return cls({key: frozenset(values) for key, values in sorted(merged.items())})

    @classmethod
    def parse(cls, text: str) -> ProtectedTags:
        """``environment|env=prod|production,tier=critical``; empty items are ignored."""
        rules: dict[str, set[str]] = {}
        for item in text.split(","):
            if not item.strip():
                continue
            keys, sep, values = item.partition("=")
            key_list = [k for k in (normalise(k) for k in keys.split("|")) if k]
            value_list = [v for v in (normalise(v) for v in values.split("|")) if v]
            if not sep or not key_list or not value_list:
                raise ProtectedTagsError(
                    f"{item.strip()!r} is not KEY[|KEY...]=VALUE[|VALUE...] "
                    "(example: environment|env=prod|production)"
                )
            for key in key_list:
                rules.setdefault(key, set()).update(value_list)
        return cls.of(rules)

    def match(self, tags: Mapping[str, str]) -> tuple[str, str] | None:
        """The first tag (as the resource spells it) that protects it, or None."""
        for key, value in sorted(tags.items()):
            values = self.rules.get(normalise(key))
            if values is not None and normalise(str(value)) in values:
                return key, value
        return None

    def reason(self, tags: Mapping[str, str]) -> str:
        """``"protected: Environment=prod"``, or ``""`` when nothing protects it."""
        found = self.match(tags)
        return f"protected: {found[0]}={found[1]}" if found else ""

    def __str__(self) -> str:
        return ",".join(f"{k}={'|'.join(sorted(v))}" for k, v in self.rules.items())


DEFAULT = ProtectedTags.parse(DEFAULT_TEXT)
