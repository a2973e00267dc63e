"""Instance Scheduler on AWS's config table -> an offhours catalog. Pure: records in,
(catalog document, problems) out.

The input is the table's items as a scan (``aws dynamodb scan``: ``{"Items": [...]}``),
a DynamoDB export (one ``{"Item": {...}}`` a line) or plain JSON objects; typed
attribute values (``{"S": …}``, ``{"SS": […]}``, ``{"N": …}``, ``{"BOOL": …}``) are
read. Items of ``type`` ``period`` and ``schedule`` are used (``config`` is not).

What converts: a schedule's ``timezone``, ``description``, ``hibernate``; its periods'
``begintime``/``endtime`` (both, or neither: the whole day) and ``weekdays`` (names,
ranges, numbers with 0 = Monday); ``override_status`` ``running``/``stopped`` (always on /
always off). What cannot be expressed is reported, and a schedule whose timing depends
on it is not written (a wrong schedule is worse than none): ``monthdays``, ``months``
other than every month, ``L`` and ``#n`` weekdays, a period with only one of
``begintime``/``endtime``, ``period@instance-type``. Fields that change no timing
(``enforced``, ``retain_running``, ``stop_new_instances``, ``use_maintenance_window``,
``ssm_maintenance_window``, ``use_metrics``) are reported as not carried over.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from schedules.days import DAY_NAMES
from schedules.errors import ScheduleError
from schedules.zones import canonical_zone

_NUMERIC_DAY = re.compile(r"[0-6]")
_NAME = re.compile(r"[^a-z0-9_-]+")
_EVERY_MONTH = frozenset({"1-12", "jan-dec", "*"})
_NOT_CARRIED = (
    "enforced",
    "retain_running",
    "stop_new_instances",
    "use_maintenance_window",
    "ssm_maintenance_window",
    "use_metrics",
)


class CannotExpress(Exception):
    """A field whose meaning an offhours schedule cannot hold."""


@dataclass
class Conversion:
    schedules: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # schedules not written, and why
    notes: list[str] = field(default_factory=list)  # written, with fields left behind

    def catalog(self) -> dict[str, Any]:
        return {"schedules": self.schedules}


def plain(value: Any) -> Any:
    """A DynamoDB typed attribute value as plain Python (plain values pass through)."""
    if isinstance(value, Mapping) and len(value) == 1:
        ((kind, inner),) = value.items()
        if kind in ("S", "N", "BOOL"):  # numbers stay text: hours and days are read as text
            return inner
        if kind in ("SS", "NS"):
            return list(inner)
        if kind == "L":
            return [plain(v) for v in inner]
        if kind == "M":
            return {k: plain(v) for k, v in inner.items()}
        if kind == "NULL":
            return None
    return value


def items(document: Any) -> list[dict[str, Any]]:
    """The table's items from a scan document, export lines (parsed) or a list."""
    if isinstance(document, Mapping) and "Items" in document:
        document = document["Items"]
    rows = document if isinstance(document, list) else [document]
    found = []
    for row in rows:
        item = row.get("Item", row) if isinstance(row, Mapping) else row
        if isinstance(item, Mapping):
            found.append({k: plain(v) for k, v in item.items()})
    return found


def convert(records: Iterable[Mapping[str, Any]]) -> Conversion:
    rows = list(records)
    periods = {str(r["name"]): r for r in rows if r.get("type") == "period" and "name" in r}
    result = Conversion()
    for row in (r for r in rows if r.get("type") == "schedule" and "name" in r):
        name = str(row["name"])
        try:
            result.schedules.append(_schedule(row, periods))
        except (CannotExpress, ScheduleError) as err:
            result.problems.append(f"schedule {name!r} not converted: {err}")
            continue
        left = [f for f in _NOT_CARRIED if row.get(f) not in (None, False, "", [], "false")]
        if left:
            result.notes.append(f"schedule {name!r}: not carried over: {', '.join(left)}")
    return result


def _schedule(row: Mapping[str, Any], periods: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    name = _catalog_name(str(row["name"]))
    out: dict[str, Any] = {"name": name}
    if row.get("description"):
        out["description"] = str(row["description"])
    if row.get("timezone"):
        out["timezone"] = canonical_zone(str(row["timezone"]))
    if str(row.get("hibernate", "")).lower() == "true":
        out["hibernate"] = True
    override = str(row.get("override_status") or "").lower()
    if override == "running":
        out["periods"] = [{"days": "daily", "start": "00:00", "stop": "24:00"}]
        return out
    if override == "stopped":
        out["periods"] = []
        return out
    names = [str(p) for p in _as_list(row.get("periods"))]
    if not names:
        raise CannotExpress("it has no periods and no override_status")
    out["periods"] = [_period(p, periods) for p in names]
    return out


def _period(reference: str, periods: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    name, at, size = reference.partition("@")
    if at:
        raise CannotExpress(f"period {reference!r} resizes to {size}: offhours stops, not resizes")
    row = periods.get(name)
    if row is None:
        raise CannotExpress(f"period {name!r} is not in the table")
    for key in ("monthdays",):
        if row.get(key):
            raise CannotExpress(f"period {name!r}: {key} {_show(row[key])} (days of the month)")
    months = {str(m).lower() for m in _as_list(row.get("months"))}
    if months and not months <= _EVERY_MONTH:
        raise CannotExpress(f"period {name!r}: months {_show(row['months'])}")
    begin, end = row.get("begintime"), row.get("endtime")
    if bool(begin) != bool(end):
        raise CannotExpress(
            f"period {name!r} has only a {'begintime' if begin else 'endtime'}: "
            "Instance Scheduler leaves the other switch to a person"
        )
    return {
        "days": _days(name, row.get("weekdays")),
        "start": str(begin or "00:00"),
        "stop": str(end or "24:00"),
    }


def _days(period: str, weekdays: Any) -> str:
    words = [str(w).strip().lower() for w in _as_list(weekdays)]
    if not words:
        return "daily"
    found = []
    for word in ",".join(words).split(","):
        if "#" in word or word.endswith("l"):
            raise CannotExpress(
                f"period {period!r}: weekday {word!r} (the nth or last weekday of a month)"
            )
        found.append("-".join(_day(part, period) for part in word.split("-")))
    return ",".join(found)


def _day(part: str, period: str) -> str:
    if _NUMERIC_DAY.fullmatch(part):
        return DAY_NAMES[int(part)]  # Instance Scheduler counts 0 = Monday
    if part[:3] in DAY_NAMES:
        return part[:3]
    raise CannotExpress(f"period {period!r}: {part!r} is not a weekday")


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple | set | frozenset):
        return sorted(value, key=str)
    return [value]


def _show(value: Any) -> str:
    return ",".join(str(v) for v in _as_list(value))


def _catalog_name(name: str) -> str:
    """Catalog names are lowercase ``a-z 0-9 - _``."""
    cleaned = _NAME.sub("-", name.strip().lower()).strip("-_")
    if not cleaned:
        raise CannotExpress(f"name {name!r} has no letters or digits")
    return cleaned[:63]
