"""kube-downscaler's absolute time ranges: ``2026-11-26T14:00:00+00:00-2026-11-26T16:00:00+00:00``.

As its ``downscaler/uptime`` reads them: running inside one of the ranges (several
joined by ``,``), stopped outside; each end an ISO 8601 instant with its offset, the
start inclusive, the end exclusive. Kept in UTC, so no daylight saving applies.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from datetime import UTC, datetime

from schedules.errors import ScheduleError
from schedules.model import Schedule, Source

_INSTANT = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:\d{2})"
_RANGE = re.compile(rf"({_INSTANT})-({_INSTANT})", re.IGNORECASE)
ABSOLUTE_FORMS = (
    "valid absolute ranges: 'START-END' with ISO 8601 instants and offsets, e.g. "
    "'2026-11-26T14:00:00+00:00-2026-11-26T16:00:00+00:00', several joined by ','"
)


def looks_absolute(value: str) -> bool:
    first = value.split(",", maxsplit=1)[0].strip()
    return _RANGE.fullmatch(first) is not None


def _utc(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError as err:
        raise ScheduleError(f"'{text}' is not an instant; {ABSOLUTE_FORMS}") from err
    return at.astimezone(UTC).replace(tzinfo=None)


def parse_absolute(value: str) -> Schedule:
    windows = []
    for part in (p.strip() for p in value.split(",")):
        match = _RANGE.fullmatch(part)
        if not match:
            raise ScheduleError(f"'{part}' is not an absolute range; {ABSOLUTE_FORMS}")
        start, end = _utc(match[1]), _utc(match[2])
        if end <= start:
            raise ScheduleError(f"'{part}' ends before it starts; {ABSOLUTE_FORMS}")
        windows.append((start, end))
    windows.sort()
    return Schedule(
        name=value.strip(),
        description=f"running in {len(windows)} absolute range(s) (kube-downscaler), else stopped",
        timezone="UTC",
        windows=tuple(windows),
        source=Source.INLINE,
    )


class WindowPlan:
    """Running inside any window (naive UTC), stopped outside; not weekly."""

    def __init__(self, zone: object, windows: tuple[tuple[datetime, datetime], ...]) -> None:
        self.zone = zone
        self.memo: dict[tuple[object, ...], object] = {}
        self.windows = windows
        self.edges = tuple(sorted({t for w in windows for t in w}))

    def running(self, wall: datetime) -> bool:
        at = wall.replace(tzinfo=None)
        return any(start <= at < end for start, end in self.windows)

    def next_candidate(self, wall: datetime, running: bool) -> datetime | None:
        i = bisect_right(self.edges, wall.replace(tzinfo=None))
        return self.edges[i] if i < len(self.edges) else None

    def weekly_minutes_on(self) -> int:
        return 0  # one-off ranges: no weekly running time
