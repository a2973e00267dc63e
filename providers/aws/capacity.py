"""The capacity tag the previous release saved on groups and services (read-only now).

Before the restore store (``providers/restore.py``), ASG and ECS kept what to restore as
``offhours:previous-capacity = min=2,desired=3,max=5`` on the resource itself. A resource
scaled down by that release still carries the tag: it is read as a fallback for one
release, and removed once the resource is restored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

PREVIOUS_CAPACITY_TAG = "offhours:previous-capacity"


def legacy_capacity(tags: Mapping[str, str], names: Sequence[str]) -> dict[str, int] | None:
    """The counts in the old tag; None when there is no tag or it is malformed."""
    text = tags.get(PREVIOUS_CAPACITY_TAG)
    if text is None:
        return None
    values: dict[str, int] = {}
    for item in text.split(","):
        name, sep, number = item.strip().partition("=")
        if not sep or not number.strip().isdigit():
            return None
        values[name.strip()] = int(number)
    if any(n not in values for n in names):
        return None
    return {n: values[n] for n in names}
