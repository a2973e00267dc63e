"""Savings per resource over a window, from the ledger alone (plus open off-periods).

Rows are streamed once into an ``Accumulator`` that keeps, per resource, only its off
intervals (packed floats) and the little it needs to report on it; nothing holds the
week's rows. ``finish`` applies the arithmetic of ``ledger/savings.py``: the union of a
resource's off intervals, clipped to the window, split at local midnights, priced.

Resources still off at the end of the window accrue up to it (or up to ``now`` when the
window is not over) from the state objects; their later booking covers the same time and
the union counts it once.
"""

from __future__ import annotations

from array import array
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from math import isfinite, isnan
from typing import Any

from ledger.book import read_records
from ledger.record import SNOOZE_ACTION
from ledger.run_state import StateError, TargetState
from ledger.savings import Days, Interval, reporting_days, split_by_day, union_pieces
from ledger.store import ObjectStore
from ledger.versions import upgraded

# Off time booked this many days after the window still counts for it (a box stopped on
# Friday and started on Monday is booked in Monday's partition).
LOOKAHEAD_DAYS = 14
_OPEN_RANK = float("-inf")  # an open period yields to any booked row covering the same time


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

    @property
    def price_known(self) -> bool:
        return self.hourly_price is not None


class _Entry:
    __slots__ = (
        "account",
        "currency",
        "index",
        "kind",
        "latest",
        "name",
        "price",
        "problems",
        "provider",
        "region",
        "resource_id",
        "schedule",
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


_NAN = float("nan")


class Accumulator:
    """Feed ledger rows (any order, any count); ``finish`` returns per-resource savings."""

    def __init__(
        self,
        start: datetime,
        end: datetime,
        tz: str = "UTC",
        keep_tags: Collection[str] | None = None,
    ) -> None:
        self.days: Days = reporting_days(start, end, tz)
        self.start, self.end = self.days.start, self.days.end
        self.keep_tags = None if keep_tags is None else frozenset(keep_tags)
        self.entries: dict[tuple[str, str, str, str], _Entry] = {}
        self.rows = 0
        # Every interval of every resource in five flat arrays (start, end, price with NaN
        # for unknown, rank, owner entry): few large buffers, no per-resource growth.
        self._iv = (array("d"), array("d"), array("d"), array("d"))
        self._owner = array("q")
        self._times: dict[str, float] = {}
        self._strings: dict[str, str] = {}

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
        key = (row["ProviderName"], row["SubAccountId"], row["ResourceType"], row["ResourceId"])
        entry = self.entries.get(key) or self._entry(*key)
        recorded = row["x_RecordedAt"]
        if recorded >= entry.latest:
            self._describe(entry, row, recorded)
        if row["x_Action"] == SNOOZE_ACTION:
            # Kept running by request: a cost the digest reports, never hours off.
            return
        if row["x_Action"] == "skip":
            at = self._ts(recorded) if recorded else self.start
            if self.start <= at < self.end:
                entry.problems.append(row["x_Reason"])
            return
        begin, finish = row["ChargePeriodStart"], row["ChargePeriodEnd"]
        if begin == finish:
            return
        s, e = self._ts(begin), self._ts(finish)
        if e <= self.start or s >= self.end:
            return
        rank = self._ts(recorded) if recorded else 0.0
        self._interval(entry, s, e, row["ListUnitPrice"], rank)

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
        name, region, schedule = row["ResourceName"], row["RegionId"], row["x_Schedule"]
        if name and name != entry.name:
            entry.name = name
        if region and region != entry.region:
            entry.region = self._intern(region)
        if schedule and schedule != entry.schedule:
            entry.schedule = self._intern(schedule)
        tags = row["Tags"]
        if tags:
            if self.keep_tags is not None:
                tags = {k: tags[k] for k in self.keep_tags if k in tags}
            if tags != entry.tags:
                entry.tags = {self._intern(k): self._intern(str(v)) for k, v in tags.items()}
        price = row["ListUnitPrice"]
        if price is not None and price != entry.price:
            entry.price = float(price)
            entry.currency = row["BillingCurrency"] or "USD"
            entry.source = self._intern(row["x_PriceSource"] or "")

    def add_open(self, resource_key: str, period: Mapping[str, Any], until: datetime) -> None:
        """A resource still off (state object): accrues from ``since`` to ``until``."""
        provider, account, region, kind, rid = resource_key.split("/", 4)
        entry = self._entry(provider, account, kind, rid)
        entry.region = entry.region or region
        entry.schedule = entry.schedule or period.get("schedule", "")
        s = self._ts(period["since"])
        e = min(until.timestamp(), self.end)
        if e <= s or e <= self.start:
            return
        price = period.get("hourly_price")
        self._interval(entry, s, e, price, _OPEN_RANK)
        if entry.price is None and price is not None:
            entry.price = float(price)
            entry.currency = period.get("currency", "USD")
            entry.source = period.get("price_source", "")

    def finish(self) -> list[ResourceSavings]:
        starts, ends, prices, ranks = self._iv
        owner = self._owner
        order = sorted(range(len(owner)), key=owner.__getitem__)
        grouped: dict[int, list[Interval]] = {}
        for i in order:
            p = prices[i]
            grouped.setdefault(owner[i], []).append(
                (starts[i], ends[i], None if isnan(p) else p, ranks[i])
            )
        result = [self._savings(e, grouped.pop(e.index, [])) for e in self.entries.values()]
        return sorted(result, key=lambda s: (-s.saved, s.provider, s.name, s.resource_id))

    def _savings(self, entry: _Entry, intervals: list[Interval]) -> ResourceSavings:
        pieces = union_pieces(intervals, self.start, self.end)
        hours, money = split_by_day(pieces, self.days)
        open_hours = sum(
            p.hours
            for p in union_pieces(
                [iv for iv in intervals if iv[3] == _OPEN_RANK], self.start, self.end
            )
        )
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
            unpriced_hours=sum(p.hours for p in pieces if p.price is None),
            daily_saved=money,
            daily_hours=hours,
        )


def summarize(
    rows: Iterable[Mapping[str, Any]],
    open_periods: Iterable[tuple[str, Mapping[str, Any]]],
    start: datetime,
    end: datetime,
    tz: str = "UTC",
    now: datetime | None = None,
    keep_tags: Collection[str] | None = None,
) -> list[ResourceSavings]:
    """``rows``: ledger rows (any version); ``open_periods``: (resource key, off-period)."""
    acc = Accumulator(start, end, tz, keep_tags)
    for row in upgraded(rows):
        acc.add(row)
    until = end if now is None or now.timestamp() >= end.timestamp() else now
    for key, period in open_periods:
        acc.add_open(key, period, until)
    return acc.finish()


def open_periods(
    store: ObjectStore, unreadable: list[str] | None = None
) -> Iterator[tuple[str, dict[str, Any]]]:
    """What is still off, from every target's state object; an unreadable one is named
    in ``unreadable`` and skipped (the next run keeps it aside and rebuilds it)."""
    for key in store.list("state/v1/"):
        if key.endswith("/run-state.json"):
            data = store.get(key)
            if not data:
                continue
            try:
                state = TargetState.from_json(data)
            except StateError as err:
                if unreadable is None:
                    raise
                unreadable.append(f"{key}: {err}")
                continue
            for resource_key, period in state.off.items():
                yield resource_key, period.to_dict()


def read_window(
    store: ObjectStore, start: datetime, end: datetime, unreadable: list[str] | None = None
) -> Iterator[dict[str, Any]]:
    """Every row that can cover [start, end): partitions from the day before the window
    (UTC) to ``LOOKAHEAD_DAYS`` after it."""
    since: date = (start.astimezone(UTC) - timedelta(days=1)).date()
    until: date = (end.astimezone(UTC) + timedelta(days=LOOKAHEAD_DAYS)).date()
    return read_records(store, since, until, unreadable=unreadable)


def window_summary(
    store: ObjectStore,
    start: datetime,
    end: datetime,
    tz: str = "UTC",
    now: datetime | None = None,
    keep_tags: Collection[str] | None = None,
    unreadable: list[str] | None = None,
) -> list[ResourceSavings]:
    """``unreadable``: when given, damaged objects are named there and skipped instead
    of ending the report."""
    return summarize(
        read_window(store, start, end, unreadable),
        open_periods(store, unreadable),
        start,
        end,
        tz,
        now,
        keep_tags,
    )
