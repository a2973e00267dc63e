"""The digest's "saved per day, by cloud" chart as HTML bars, pure.

Each day is a bar whose length is its share of the week's best day, cut into one cell per
cloud in the cloud's colour. Mail clients draw table cells with images blocked, so the
chart needs no image, no attachment and no plotting library; the template lays the
cells out (``templates/digest.html.j2``) like the week-over-week bars.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Segment:
    """One cloud's part of a day's bar."""

    provider: str
    saved: float
    width: int  # percent of the day's bar; the day's segments add up to 100


@dataclass(frozen=True)
class DayBar:
    day: date
    saved: float
    width: int  # percent of the longest bar (the best day); 0 when nothing was saved
    segments: tuple[Segment, ...]


def has_savings(daily: Mapping[str, Sequence[float]]) -> bool:
    return any(v > 0 for series in daily.values() for v in series)


def bar_width(value: float, peak: float) -> int:
    """Percent of the longest bar; anything saved shows at least 1%."""
    if value <= 0 or peak <= 0:
        return 0
    return max(1, round(100 * value / peak))


def shares(values: Sequence[float]) -> list[int]:
    """Whole percents of the total, adding up to exactly 100 (cut at rounded running sums,
    so no cell is lost or doubled by rounding); all 0 when the total is not positive."""
    positive = [max(0.0, v) for v in values]
    total = sum(positive)
    if total <= 0:
        return [0] * len(values)
    widths, running, cut = [], 0.0, 0
    for value in positive:
        running += value
        nxt = round(100 * running / total)
        widths.append(nxt - cut)
        cut = nxt
    return widths


def daily_bars(days: Sequence[date], daily: Mapping[str, Sequence[float]]) -> tuple[DayBar, ...]:
    """One bar per day, clouds in ``daily``'s order; () for a week with nothing saved (the
    digest says so in words instead of drawing empty bars)."""
    if not has_savings(daily):
        return ()
    per_day = [
        [(provider, series[i] if i < len(series) else 0.0) for provider, series in daily.items()]
        for i in range(len(days))
    ]
    totals = [sum(max(0.0, v) for _, v in parts) for parts in per_day]
    peak = max(totals, default=0.0)
    bars = []
    for day, parts, total in zip(days, per_day, totals, strict=True):
        widths = shares([v for _, v in parts])
        segments = tuple(
            Segment(provider, value, width)
            for (provider, value), width in zip(parts, widths, strict=True)
            if width > 0
        )
        bars.append(DayBar(day, total, bar_width(total, peak), segments))
    return tuple(bars)
