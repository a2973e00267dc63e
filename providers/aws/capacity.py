"""The previous capacity of a group or service, kept as a tag on the resource itself.

Written *before* scaling to zero, so a crash between the two calls loses nothing: the
next run finds the tag and either scales down again (the group is still up; the tag is
rewritten from the live numbers) or restores from it (the group is down).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

PREVIOUS_CAPACITY_TAG = "offhours:previous-capacity"


def format_capacity(values: Mapping[str, int]) -> str:
    """``{"min": 2, "desired": 3, "max": 5}`` -> ``min=2,desired=3,max=5``."""
    return ",".join(f"{name}={int(value)}" for name, value in values.items())


def parse_capacity(text: str, names: Sequence[str]) -> dict[str, int]:
    """The inverse of ``format_capacity``; ValueError names what is wrong."""
    values: dict[str, int] = {}
    for item in text.split(","):
        name, sep, number = item.strip().partition("=")
        if not sep or not number.strip().isdigit():
            raise ValueError(f"{PREVIOUS_CAPACITY_TAG}={text!r}: expected name=count pairs")
        values[name.strip()] = int(number)
    missing = [n for n in names if n not in values]
    if missing:
        raise ValueError(f"{PREVIOUS_CAPACITY_TAG}={text!r}: missing {', '.join(missing)}")
    return {n: values[n] for n in names}
