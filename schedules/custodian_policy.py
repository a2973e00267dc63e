"""Cloud Custodian policies -> offhours settings. Pure: the policy document in,
(settings, problems) out.

The resources keep their Custodian tags (offhours reads the values as Custodian does,
``schedules/custodian.py``); what a policy adds around them is its ``offhour``/``onhour``
filters' options (``c7n/filters/offhours.py``, ``Time.schema``): ``tag`` becomes
``tag_key``, ``default_tz`` (an alias or a zone) ``default_tz``, the policies'
resources ``kinds``. What offhours cannot hold is reported: an ``offhour``/``onhour``
other than 19/7, ``weekends: false`` or ``weekends-only`` (offhours' defaults for a
value with a missing side are Custodian's: off 19, on 7, Monday-Friday), ``opt-out``
(offhours schedules only tagged resources), ``skip-days`` (put them in a catalog
schedule's ``holidays.dates``), ``fallback-schedule``, and policies that disagree on
the tag or the zone (offhours has one of each).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from schedules.custodian import TZ_ALIASES
from schedules.errors import ScheduleError
from schedules.zones import canonical_zone

# Custodian's resource types -> offhours kinds (the ones both schedule).
KINDS = {
    "ec2": "ec2",
    "asg": "asg",
    "rds": "rds",
    "rds-cluster": "aurora",
    "ecs-service": "ecs",
    "sagemaker-notebook": "sagemaker-notebooks",
    "sagemaker-endpoint": "sagemaker-endpoints",
    "gcp.instance": "instances",
    "gcp.instance-group-manager": "instance-groups",
    "azure.vm": "vms",
    "azure.vmss": "scale-sets",
    "azure.aks": "aks",
}
DEFAULT_TAG = "maid_offhours"  # Custodian's Time.DEFAULT_TAG
DEFAULTS = {"offhour": 19, "onhour": 7}
_UNSUPPORTED = ("opt-out", "skip-days", "skip-days-from", "fallback-schedule", "fallback_schedule")


@dataclass
class PolicySettings:
    settings: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def time_filters(node: Any) -> Iterator[Mapping[str, Any]]:
    """Every ``offhour``/``onhour`` filter, also inside ``or``/``and``/``not`` blocks."""
    if isinstance(node, list):
        for item in node:
            yield from time_filters(item)
    elif node in ("offhour", "onhour"):  # a filter named without options
        yield {"type": node}
    elif isinstance(node, Mapping):
        if node.get("type") in ("offhour", "onhour"):
            yield node
        for key in ("or", "and", "not"):
            yield from time_filters(node.get(key))


def convert_policies(document: Any) -> PolicySettings:
    policies = document.get("policies", []) if isinstance(document, Mapping) else []
    result = PolicySettings()
    tags: dict[str, str] = {}
    zones: dict[str, str] = {}
    kinds: list[str] = []
    for policy in (p for p in policies if isinstance(p, Mapping)):
        name = str(policy.get("name", "?"))
        filters = list(time_filters(policy.get("filters", [])))
        if not filters:
            continue
        _kind(policy, name, kinds, result)
        for spec in filters:
            tags[name] = str(spec.get("tag", DEFAULT_TAG)).lower()
            zone = _zone(spec.get("default_tz", "et"), name, result)
            if zone:
                zones[name] = zone
            result.problems.extend(_unsupported(spec, name))
    result.settings.update(_one("tag_key", tags, result))
    result.settings.update(_one("default_tz", zones, result))
    if kinds:
        result.settings["kinds"] = ",".join(dict.fromkeys(kinds))
    return result


def _kind(policy: Mapping[str, Any], name: str, kinds: list[str], result: PolicySettings) -> None:
    resource = str(policy.get("resource", "")).removeprefix("aws.")
    kind = KINDS.get(resource)
    if kind is None:
        result.problems.append(f"policy {name!r}: resource {resource!r} has no offhours kind")
    else:
        kinds.append(kind)


def _zone(value: Any, name: str, result: PolicySettings) -> str:
    text = str(value).strip().lower()
    try:
        return canonical_zone(TZ_ALIASES.get(text, text))
    except ScheduleError:
        result.problems.append(f"policy {name!r}: default_tz {value!r} is not a zone")
        return ""


def _unsupported(spec: Mapping[str, Any], name: str) -> list[str]:
    kind = str(spec["type"])
    found = [
        f"policy {name!r}: {kind} {key} is not carried over" for key in _UNSUPPORTED if key in spec
    ]
    hour = spec.get(kind)
    if hour is not None and hour != DEFAULTS[kind]:
        found.append(
            f"policy {name!r}: {kind} {hour} (offhours' default for a missing side is "
            f"{DEFAULTS[kind]}): tag those resources with both sides"
        )
    if spec.get("weekends") is False or spec.get("weekends-only"):
        found.append(
            f"policy {name!r}: {kind} weekends settings (offhours' default days are M-F): "
            "tag those resources with their days"
        )
    return found


def _one(setting: str, by_policy: Mapping[str, str], result: PolicySettings) -> dict[str, str]:
    values = set(by_policy.values())
    if len(values) > 1:
        listed = ", ".join(f"{p}: {v}" for p, v in sorted(by_policy.items()))
        result.problems.append(f"the policies disagree on {setting} ({listed}): one is used")
    chosen = sorted(values)[0] if values else ""
    return {setting: chosen} if chosen else {}
