"""Savings arithmetic, pure: avoided hours x hourly price, over the union of off intervals.

Times are POSIX seconds (floats) so a week of a million rows stays cheap. The rules:

* A resource's off time is the union of the intervals its rows cover. Two rows covering
  the same instant (a retried run that wrote a second object, two overlapping runs, two
  schedules that both stopped the box, a still-open period and its later booking) count
  that instant once.
* Where rows overlap, the instant is priced by the row recorded last (ties: the higher
  price); the price a row carries is the one known when the resource was stopped.
* Only the part inside the reporting window counts, split at local midnights of the
  reporting time zone, so a day's savings are that calendar day's hours (DST days have
  23 or 25 hours).
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

# (start, end, hourly price or None, rank): rank orders overlapping rows (recorded-at).
Interval = tuple[float, float, float | None, float]


@dataclass(frozen=True)
class Piece:
    """A stretch of off time priced at one hourly price (None: price unknown)."""

    start: float
    end: float
    price: float | None

    @property
    def hours(self) -> float:
        return (self.end - self.start) / 3600.0


def union_pieces(intervals: Iterable[Interval], lo: float, hi: float) -> list[Piece]:
    """Disjoint, ordered pieces covering the union of ``intervals`` clipped to [lo, hi)."""
    clipped = sorted(
        (max(s, lo), min(e, hi), p, r) for s, e, p, r in intervals if min(e, hi) > max(s, lo)
    )
    if not clipped:
        return []
    apart = _disjoint(clipped)
    if apart is not None:
        return apart
    bounds = sorted({t for s, e, _, _ in clipped for t in (s, e)})
    heap: list[tuple[float, float, float, float | None]] = []
    pieces: list[Piece] = []
    i = 0
    for a, b in pairwise(bounds):
        while i < len(clipped) and clipped[i][0] <= a:
            _, e, p, r = clipped[i]
            heapq.heappush(heap, (-r, -(p if p is not None else -1.0), e, p))
            i += 1
        while heap and heap[0][2] <= a:
            heapq.heappop(heap)
        if not heap:
            continue
        price = heap[0][3]
        last = pieces[-1] if pieces else None
        if last is not None and last.end == a and last.price == price:
            pieces[-1] = Piece(last.start, b, price)
        else:
            pieces.append(Piece(a, b, price))
    return pieces


def _disjoint(ordered: Sequence[Interval]) -> list[Piece] | None:
    """The pieces when no two of the (sorted) intervals overlap, the usual case (one
    booking per off-period): each is its own piece, joined to the one before when they
    touch at the same price. None when any overlap, for the general sweep to decide."""
    pieces: list[Piece] = []
    for s, e, p, _ in ordered:
        if pieces:
            last = pieces[-1]
            if s < last.end:
                return None
            if s == last.end and p == last.price:
                pieces[-1] = Piece(last.start, e, p)
                continue
        pieces.append(Piece(s, e, p))
    return pieces


@dataclass(frozen=True)
class Days:
    """The reporting window cut at local midnights: ``bounds[i]..bounds[i+1]`` is
    ``labels[i]``."""

    bounds: tuple[float, ...]
    labels: tuple[date, ...]

    @property
    def start(self) -> float:
        return self.bounds[0]

    @property
    def end(self) -> float:
        return self.bounds[-1]

    @property
    def hours(self) -> float:
        return (self.end - self.start) / 3600.0

    def index(self, at: float) -> int:
        return bisect_right(self.bounds, at) - 1


def reporting_days(start: datetime, end: datetime, tz: str) -> Days:
    """Window [start, end) cut at every local midnight of ``tz`` in between."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("reporting windows need zone-aware instants")
    if end.timestamp() <= start.timestamp():
        raise ValueError("the reporting window ends before it starts")
    zone = ZoneInfo(tz)
    local = start.astimezone(zone)
    bounds = [start.timestamp()]
    labels = [local.date()]
    day = local.date() + timedelta(days=1)
    while True:
        midnight = datetime.combine(day, time(), zone).timestamp()
        if midnight >= end.timestamp():
            break
        bounds.append(midnight)
        labels.append(day)
        day += timedelta(days=1)
    bounds.append(end.timestamp())
    return Days(tuple(bounds), tuple(labels))


def split_by_day(pieces: Sequence[Piece], days: Days) -> tuple[list[float], list[float]]:
    """Hours off and money saved per day of ``days`` (money counts priced pieces only)."""
    count = len(days.labels)
    hours = [0.0] * count
    money = [0.0] * count
    bounds = days.bounds  # read once: this runs for every resource of a week's ledger
    lo, hi = bounds[0], bounds[-1]
    for piece in pieces:
        a = max(piece.start, lo)
        b = min(piece.end, hi)
        idx = bisect_right(bounds, a) - 1
        price = piece.price
        while a < b and idx < count:
            seg_end = min(b, bounds[idx + 1])
            h = (seg_end - a) / 3600.0
            hours[idx] += h
            if price is not None:
                money[idx] += h * price
            a = seg_end
            idx += 1
    return hours, money


def segments(bounds: Sequence[datetime], tz: str) -> Days:
    """A span cut at the given instants (weeks, a month start): ``labels[i]`` is the local
    date in ``tz`` where segment ``i`` begins. Duplicate bounds are dropped."""
    if any(b.tzinfo is None for b in bounds):
        raise ValueError("segment bounds need zone-aware instants")
    stamps = sorted({b.timestamp() for b in bounds})
    if len(stamps) < 2:
        raise ValueError("segments need at least two distinct bounds")
    zone = ZoneInfo(tz)
    labels = tuple(datetime.fromtimestamp(t, zone).date() for t in stamps[:-1])
    return Days(tuple(stamps), labels)
