"""Savings per resource over a window, from the ledger alone (plus open off-periods).

Rows are streamed once into an ``Accumulator`` that keeps, per resource, only its off
intervals (packed floats) and the little it needs to report on it; nothing holds the
week's rows. ``finish`` applies the arithmetic of ``ledger/savings.py``: the union of a
resource's off intervals, clipped to the window, split at local midnights, priced.

Resources still off accrue only up to the last run that saw them off: its ``still-off``
checkpoint row (``functions/jobs/checkpoints.py``). Of one period's checkpoints the latest
counts, and none once the period's booking is read (same ``x_PeriodId``), which is what
the SQL of ``ledger/sql.py`` does too. Nothing accrues to the window's end or to now.

Snooze rows (``x_Action == "snooze"``) cover hours a resource was kept running by
request: a cost at list price, never off time, so they are kept apart from the savings.
Actions, failures and snoozes are counted once per event however many run objects
repeat it (a retried run).

``history`` (optional ``Days``) prices the same off time over a longer span cut at other
bounds (weeks before the window, the month so far) in the same pass.
"""

from __future__ import annotations

from array import array
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from math import isfinite, isnan
from operator import itemgetter
from typing import Any

from ledger.book import Loads, read_records
from ledger.record import SNOOZE_ACTION, STILL_OFF_ACTION
from ledger.savings import Days, Interval, Piece, reporting_days, split_by_day, union_pieces
from ledger.versions import upgraded
from providers.store import ObjectStore

# Off time booked this many days after the window still counts for it (a box stopped on
# Friday and started on Monday is booked in Monday's partition).
LOOKAHEAD_DAYS = 14
_OPEN_RANK = float("-inf")  # an open period yields to any booked row covering the same time
SNOOZE = SNOOZE_ACTION
_ACTIONS = frozenset({"stop", "start", "scale-down", "scale-up"})
# Event kinds counted per resource (the high bits of a packed event key, see _Entry.events).
_ACTION, _FAILURE, _SNOOZE = 0, 1, 2
# The columns read from every row, taken in one call each (a week is a million rows).
_RESOURCE = itemgetter("ProviderName", "SubAccountId", "x_Kind", "x_ApiResourceId")
_DESCRIPTION = itemgetter("ResourceName", "RegionId", "x_Schedule", "Tags", "ListUnitPrice")


@dataclass
class ResourceSavings:
    provider: str
    account: str
    kind: str
    resource_id: str
    name: str = ""
    hourly_price: float | None = None
    currency: str = "USD"
    hours_off: float = 0.0
    saved: float = 0.0
    accrued_hours: float = 0.0
    problems: list[str] = field(default_factory=list)
    tags: Mapping[str, str] = field(default_factory=dict)
    region: str = ""
    schedule: str = ""
    price_source: str = ""
    unpriced_hours: float = 0.0
    daily_saved: list[float] = field(default_factory=list)
    daily_hours: list[float] = field(default_factory=list)
    actions: int = 0
    failures: int = 0
    snoozes: int = 0
    snooze_hours: float = 0.0
    snooze_cost: float = 0.0  # priced hours only; never part of ``saved``
    history_saved: list[float] = field(default_factory=list)
    # The part of the off time (and savings) that idle stops began (``x_Trigger=idle``).
    idle_hours: float = 0.0
    idle_saved: float = 0.0

    @property
    def price_known(self) -> bool:
        return self.hourly_price is not None

    @property
    def active(self) -> bool:
        """Anything to report on in the window: off time, a problem, an event."""
        return bool(
            self.hours_off > 0 or self.problems or self.actions or self.failures or self.snoozes
        )


class _Entry:
    __slots__ = (
        "account",
        "currency",
        "events",
        "idled",
        "index",
        "kind",
        "latest",
        "name",
        "open",
        "price",
        "problems",
        "provider",
        "region",
        "resource_id",
        "schedule",
        "snoozed",
        "source",
        "tags",
    )

    def __init__(
        self, index: int, provider: str, account: str, kind: str, resource_id: str
    ) -> None:
        self.index = index
        self.provider = provider
        self.account = account
        self.kind = kind
        self.resource_id = resource_id
        self.name = ""
        self.region = ""
        self.schedule = ""
        self.tags: Mapping[str, str] = {}
        self.latest = ""
        self.price: float | None = None
        self.currency = "USD"
        self.source = ""
        self.problems: list[str] = []
        self.snoozed: list[Interval] | None = None  # rare: most resources are never snoozed
        # Open periods seen in checkpoints: period id -> (start, latest end, price, idle).
        self.open: dict[str, tuple[float, float, float | None, bool]] | None = None
        self.idled: list[Interval] | None = None  # off time the idle rule began (x_Trigger)
        # One packed key (kind << 32 | 32-bit event hash) per counted event: duplicates
        # collapse at ``finish``, a few bytes each, no set kept per resource.
        self.events: array[int] | None = None


_NAN = float("nan")


class Accumulator:
    """Feed ledger rows (any order, any count); ``finish`` returns per-resource savings."""

    def __init__(
        self,
        start: datetime,
        end: datetime,
        tz: str = "UTC",
        keep_tags: Collection[str] | None = None,
        history: Days | None = None,
    ) -> None:
        self.days: Days = reporting_days(start, end, tz)
        self.start, self.end = self.days.start, self.days.end
        self.history = history
        # Off time is kept from the earliest bound either view needs.
        self._lo = min(self.start, history.start) if history else self.start
        self._hi = max(self.end, history.end) if history else self.end
        self.keep_tags = None if keep_tags is None else frozenset(keep_tags)
        self.entries: dict[tuple[str, str, str, str], _Entry] = {}
        self.rows = 0
        # Every interval of every resource in five flat arrays (start, end, price with NaN
        # for unknown, rank, owner entry): few large buffers, no per-resource growth.
        self._iv = (array("d"), array("d"), array("d"), array("d"))
        self._owner = array("q")
        self._times: dict[str, float] = {}
        self._strings: dict[str, str] = {}
        # Periods whose booking was read: their checkpoints no longer count.
        self._closed: set[str] = set()

    def _ts(self, text: str) -> float:
        value = self._times.get(text)
        if value is None:
            value = datetime.fromisoformat(text).timestamp()
            if len(self._times) < 500_000:
                self._times[text] = value
        return value

    def _intern(self, text: str) -> str:
        return self._strings.setdefault(text, text)

    def _entry(self, provider: str, account: str, kind: str, rid: str) -> _Entry:
        key = (provider, account, kind, rid)
        entry = self.entries.get(key)
        if entry is None:
            entry = _Entry(
                len(self.entries),
                self._intern(provider),
                self._intern(account),
                self._intern(kind),
                rid,
            )
            self.entries[key] = entry
        return entry

    def add(self, row: Mapping[str, Any]) -> None:
        """One row in the current layout (``ledger.versions.upgraded``)."""
        self.rows += 1
        key = _RESOURCE(row)
        entry = self.entries.get(key) or self._entry(*key)
        recorded = row["x_RecordedAt"]
        if recorded >= entry.latest:
            self._describe(entry, row, recorded)
        action = row["x_Action"]
        if action == "skip":
            at = self._ts(recorded) if recorded else self.start
            if self.start <= at < self.end:
                entry.problems.append(row["x_Reason"])
            return
        begin, finish = row["ChargePeriodStart"], row["ChargePeriodEnd"]
        if action == SNOOZE:
            self._snooze(entry, row, begin, finish, recorded)
            return
        if action == STILL_OFF_ACTION:
            self._checkpoint(entry, row, begin, finish)
            return
        self._count_event(entry, row, action, begin, finish, recorded)
        if begin == finish:
            return
        if row["x_PeriodId"]:
            self._closed.add(row["x_PeriodId"])
        s, e = self._ts(begin), self._ts(finish)
        if e <= self._lo or s >= self._hi:
            return
        rank = self._ts(recorded) if recorded else 0.0
        self._interval(entry, s, e, row["ListUnitPrice"], rank)
        if row.get("x_Trigger") == "idle":
            _idled(entry, s, e, row["ListUnitPrice"], rank)

    def _count_event(
        self, entry: _Entry, row: Mapping[str, Any], action: str, begin: str, finish: str, at: str
    ) -> None:
        outcome = row["x_Outcome"]
        if outcome == "done" and action in _ACTIONS:
            kind = _ACTION
        elif outcome == "failed":
            kind = _FAILURE
        else:
            return
        when = self._ts(at or begin)
        if self.start <= when < self.end:
            # A retried run repeats an event with the same period; a failure is one per
            # attempt (its recorded instant).
            self._count(entry, kind, (action, begin, finish) if kind == _ACTION else (action, at))

    @staticmethod
    def _count(entry: _Entry, kind: int, event: tuple[str, ...]) -> None:
        if entry.events is None:
            entry.events = array("Q")
        # hash() is stable within the process, which is all a dedup inside one run needs.
        entry.events.append((kind << 32) | (hash(event) & 0xFFFFFFFF))

    def _snooze(
        self, entry: _Entry, row: Mapping[str, Any], begin: str, finish: str, recorded: str
    ) -> None:
        """Hours kept running by request: counted when they begin in the window, priced
        for the part inside it (like off time, each hour once)."""
        if row["x_Outcome"] != "done" or not begin or begin == finish:
            return
        s, e = self._ts(begin), self._ts(finish)
        if e <= self.start or s >= self.end:
            return
        if self.start <= s:
            self._count(entry, _SNOOZE, (begin, finish))
        price = row["ListUnitPrice"]
        value = None if price is None else float(price)
        if value is not None and not isfinite(value):
            value = None
        if entry.snoozed is None:
            entry.snoozed = []
        entry.snoozed.append((s, e, value, self._ts(recorded) if recorded else 0.0))

    def _interval(self, entry: _Entry, s: float, e: float, price: Any, rank: float) -> None:
        starts, ends, prices, ranks = self._iv
        starts.append(s)
        ends.append(e)
        # A non-finite price is no price: it must never turn a total into inf or nan.
        value = _NAN if price is None else float(price)
        prices.append(value if isfinite(value) else _NAN)
        ranks.append(rank)
        self._owner.append(entry.index)

    def _describe(self, entry: _Entry, row: Mapping[str, Any], recorded: str) -> None:
        """Keep what the latest row says about the resource (cheap when nothing changed,
        which is almost always: this runs for most rows)."""
        entry.latest = recorded
        name, region, schedule, tags, price = _DESCRIPTION(row)
        if name and name != entry.name:
            entry.name = name
        if region and region != entry.region:
            entry.region = self._intern(region)
        if schedule and schedule != entry.schedule:
            entry.schedule = self._intern(schedule)
        if tags:
            if self.keep_tags is not None:
                tags = {k: tags[k] for k in self.keep_tags if k in tags}
            if tags != entry.tags:
                entry.tags = {self._intern(k): self._intern(str(v)) for k, v in tags.items()}
        if price is not None and price != entry.price:
            entry.price = float(price)
            entry.currency = row["BillingCurrency"] or "USD"
            entry.source = self._intern(row["x_PriceSource"] or "")

    def _checkpoint(self, entry: _Entry, row: Mapping[str, Any], begin: str, finish: str) -> None:
        """A run saw the resource still off: the period so far (the latest one counts)."""
        if begin == finish:
            return
        s, e = self._ts(begin), self._ts(finish)
        if e <= self._lo or s >= self._hi:
            return
        if entry.open is None:
            entry.open = {}
        pid = row["x_PeriodId"] or begin
        known = entry.open.get(pid)
        if known is None or e > known[1]:
            price = None if row["ListUnitPrice"] is None else float(row["ListUnitPrice"])
            value = price if price is not None and isfinite(price) else None
            entry.open[pid] = (s, e, value, row.get("x_Trigger") == "idle")
        if entry.price is None and row["ListUnitPrice"] is not None:
            entry.price = float(row["ListUnitPrice"])

    def finish(self) -> list[ResourceSavings]:
        starts, ends, prices, ranks = self._iv
        grouped: dict[int, list[Interval]] = {}
        # Each resource's intervals in the order they were read (what sorting by owner,
        # stably, gave), without sorting a million indices.
        for index, s, e, p, r in zip(self._owner, starts, ends, prices, ranks, strict=True):
            found = grouped.get(index)
            if found is None:
                found = grouped[index] = []
            found.append((s, e, None if isnan(p) else p, r))
        for entry in self.entries.values():
            for pid, (s, e, price, idle) in (entry.open or {}).items():
                if pid not in self._closed:
                    grouped.setdefault(entry.index, []).append((s, e, price, _OPEN_RANK))
                    if idle:
                        _idled(entry, s, e, price, _OPEN_RANK)
            entry.open = None
        result = [
            self._savings(e, grouped.pop(e.index, []), _event_counts(e))
            for e in self.entries.values()
        ]
        return sorted(result, key=lambda s: (-s.saved, s.provider, s.name, s.resource_id))

    def _savings(
        self, entry: _Entry, intervals: list[Interval], counts: tuple[int, int, int]
    ) -> ResourceSavings:
        pieces = union_pieces(intervals, self._lo, self._hi)
        hours, money = split_by_day(pieces, self.days)
        history = split_by_day(pieces, self.history)[1] if self.history else []
        # Most resources were never snoozed, idle-stopped or left open: skip those sweeps.
        snoozed = union_pieces(entry.snoozed, self.start, self.end) if entry.snoozed else []
        idled = union_pieces(entry.idled, self.start, self.end) if entry.idled else []
        opened = [iv for iv in intervals if iv[3] == _OPEN_RANK]
        still_open = union_pieces(opened, self.start, self.end) if opened else []
        open_hours = sum(p.hours for p in still_open)
        return ResourceSavings(
            provider=entry.provider,
            account=entry.account,
            kind=entry.kind,
            resource_id=entry.resource_id,
            name=entry.name or entry.resource_id,
            hourly_price=entry.price,
            currency=entry.currency,
            hours_off=sum(hours),
            saved=sum(money),
            accrued_hours=open_hours,
            problems=entry.problems,
            tags=entry.tags,
            region=entry.region,
            schedule=entry.schedule,
            price_source=entry.source,
            unpriced_hours=sum(
                _clipped_hours(p, self.start, self.end) for p in pieces if p.price is None
            ),
            daily_saved=money,
            daily_hours=hours,
            actions=counts[0],
            failures=counts[1],
            snoozes=counts[2],
            snooze_hours=sum(p.hours for p in snoozed),
            snooze_cost=sum(p.hours * p.price for p in snoozed if p.price is not None),
            history_saved=history,
            idle_hours=sum(p.hours for p in idled),
            idle_saved=sum(p.hours * p.price for p in idled if p.price is not None),
        )


def _idled(entry: _Entry, s: float, e: float, price: Any, rank: float) -> None:
    value = None if price is None else float(price)
    if entry.idled is None:
        entry.idled = []
    entry.idled.append((s, e, value if value is not None and isfinite(value) else None, rank))


def _event_counts(entry: _Entry) -> tuple[int, int, int]:
    """Distinct events of one resource: (actions, failures, snoozes)."""
    counts = [0, 0, 0]
    for key in set(entry.events or ()):
        counts[key >> 32] += 1
    entry.events = None
    return counts[0], counts[1], counts[2]


def _clipped_hours(piece: Piece, lo: float, hi: float) -> float:
    return max(0.0, min(piece.end, hi) - max(piece.start, lo)) / 3600.0


def read_window(
    store: ObjectStore,
    start: datetime,
    end: datetime,
    unreadable: list[str] | None = None,
    loads: Loads | None = None,
) -> Iterator[dict[str, Any]]:
    """Every row that can cover [start, end): partitions from the day before the window
    (UTC) to ``LOOKAHEAD_DAYS`` after it. ``loads``: see ``ledger.book.decode``."""
    since: date = (start.astimezone(UTC) - timedelta(days=1)).date()
    until: date = (end.astimezone(UTC) + timedelta(days=LOOKAHEAD_DAYS)).date()
    return read_records(store, since, until, unreadable=unreadable, loads=loads)


def window_summary(
    store: ObjectStore,
    start: datetime,
    end: datetime,
    tz: str = "UTC",
    keep_tags: Collection[str] | None = None,
    unreadable: list[str] | None = None,
    history: Days | None = None,
    loads: Loads | None = None,
) -> list[ResourceSavings]:
    """``unreadable``: when given, damaged objects are named there and skipped instead
    of ending the report. ``history``: see ``Accumulator`` (its rows are read too).
    ``loads``: a faster JSON parser (``ledger.book.decode``)."""
    since = start
    if history is not None and history.start < start.timestamp():
        since = datetime.fromtimestamp(history.start, UTC)
    acc = Accumulator(start, end, tz, keep_tags, history)
    for row in upgraded(read_window(store, since, end, unreadable, loads)):
        acc.add(row)
    return acc.finish()
