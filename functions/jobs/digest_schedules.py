"""One "by schedule" row per schedule, however its tags spell it.

The ledger records the schedule as the resource's tag spelled it (a catalog name, or an
inline, label-safe or Cloud Custodian value). ``schedules`` resolves each spelling; two
spellings are one schedule when they switch at the same instants in a winter and a summer
reference week (so zone aliases such as ``UTC`` and Custodian's ``utc`` agree) and share
their holidays and sides. A row is named after the catalog
schedule it matches, else the canonical inline form, else the spelling itself; a value
``schedules`` cannot read keeps its own row under its own text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

import schedules
from schedules import Schedule, ScheduleError, Sides

# Weeks with no DST change in either hemisphere, one in each half of the year.
REFERENCE_WEEKS = (datetime(2024, 1, 8, tzinfo=UTC), datetime(2024, 7, 8, tzinfo=UTC))
UNSET = "(none)"

Key = tuple[object, ...]


def schedule_key(schedule: Schedule) -> Key:
    """What makes two resolved schedules the same schedule for reporting."""
    if schedule.opt_out:
        return ("opt-out",)
    key: list[object] = [schedule.sides.value, repr(schedule.holidays)]
    for start in REFERENCE_WEEKS:
        if schedule.sides is Sides.BOTH:
            key.append(schedules.desired_state(schedule, start).value)
        key.extend(
            (int((at - start).total_seconds()), state.value)
            for at, state in schedules.transitions(schedule, start, start + timedelta(days=7))
        )
    return tuple(key)


def _display(schedule: Schedule, spelling: str) -> str:
    try:
        return schedules.to_inline(schedule)
    except ScheduleError:
        return spelling


def schedule_names(spellings: Iterable[str], catalog: schedules.Catalog) -> dict[str, str]:
    """Each spelling -> the name of its row (spellings of one schedule share a name)."""
    named: dict[Key, str] = {}
    for entry in catalog:
        try:
            named.setdefault(schedule_key(entry), entry.name)
        except ScheduleError:
            continue  # a catalog schedule with no evaluable week (never happens for rows)
    keys: dict[str, Key] = {}
    shown: dict[Key, str] = {}
    for spelling in sorted(set(spellings)):
        if not spelling:
            continue
        try:
            resolved = catalog.resolve(spelling)
            key = schedule_key(resolved)
        except ScheduleError:
            key, resolved = ("unreadable", spelling), None
        keys[spelling] = key
        if key not in shown:
            shown[key] = spelling if resolved is None else _display(resolved, spelling)
    return {s: named.get(k) or shown[k] for s, k in keys.items()}


def name_of(names: Mapping[str, str], spelling: str) -> str:
    return names.get(spelling) or spelling or UNSET
