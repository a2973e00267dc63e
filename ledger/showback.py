"""Showback, pure: per-resource savings grouped the way a FinOps team asks for them.

For each resource the ledger saw in the window:

* *saved* = its booked (and still accruing) avoided hours x price, from ``summary``;
* *would have cost* = price x the window's hours (running the whole window);
* *did cost* = would have cost - saved.

Only resources with a known price count in money; the others are counted apart
("price unknown"). Resources that offhours never acted on in the window are not in the
ledger, so they are in none of these numbers.

Hours kept running by request (snoozes) are a cost at list price, reported beside the
savings (``Counts``) and never subtracted from or added to them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from operator import add

from ledger.inventory import Opportunity
from ledger.summary import ResourceSavings

UNSET = "(none)"


@dataclass(frozen=True)
class Totals:
    would: float = 0.0
    saved: float = 0.0
    hours_off: float = 0.0
    resources: int = 0
    unpriced: int = 0

    @property
    def did(self) -> float:
        return max(0.0, self.would - self.saved)

    @property
    def percent(self) -> float:
        return 100.0 * self.saved / self.would if self.would > 0 else 0.0


def would_have_cost(item: ResourceSavings, window_hours: float) -> float:
    return 0.0 if item.hourly_price is None else item.hourly_price * window_hours


def totals(items: Iterable[ResourceSavings], window_hours: float) -> Totals:
    would = saved = hours = 0.0
    count = unpriced = 0
    for item in items:
        if item.hours_off <= 0:
            continue  # only a problem row: no hours, no money
        count += 1
        hours += item.hours_off
        saved += item.saved
        price = item.hourly_price
        if price is None:
            unpriced += 1
        else:
            would += max(price * window_hours, item.saved)  # would_have_cost, inlined
    return Totals(would, saved, hours, count, unpriced)


Key = Callable[[ResourceSavings], str]


def dimension(name: str, schedule_of: Key | None = None) -> Key:
    """``provider``, ``account``, ``region``, ``kind``, ``schedule`` or ``tag:<key>``;
    ``schedule_of`` names a resource's schedule (spellings of one schedule resolved to one
    name by the caller; default: the name the ledger recorded)."""
    if name == "schedule" and schedule_of is not None:
        return schedule_of
    if name.startswith("tag:"):
        tag = name[4:]
        return lambda item: str(item.tags.get(tag) or UNSET)
    fields = {
        "provider": lambda item: item.provider,
        "account": lambda item: f"{item.provider}:{item.account}",
        "region": lambda item: item.region or UNSET,
        "kind": lambda item: f"{item.provider} {item.kind}",
        "schedule": lambda item: item.schedule or UNSET,
    }
    if name not in fields:
        raise ValueError(
            f"cannot group by {name!r}: use provider, account, kind, schedule, tag:KEY"
        )
    return fields[name]


def group(
    items: Iterable[ResourceSavings], key: Key, window_hours: float
) -> list[tuple[str, Totals]]:
    buckets: dict[str, list[ResourceSavings]] = {}
    for item in items:
        value = key(item)
        members = buckets.get(value)
        if members is None:
            members = buckets[value] = []
        members.append(item)
    rows = [(value, totals(members, window_hours)) for value, members in buckets.items()]
    return sorted(rows, key=lambda r: (-r[1].saved, r[0]))


@dataclass(frozen=True)
class Counts:
    """Events in the window: confirmed actions, failed attempts, snoozes and their cost."""

    actions: int = 0
    failures: int = 0
    snoozes: int = 0
    snooze_hours: float = 0.0
    snooze_cost: float = 0.0
    snooze_unpriced: int = 0  # snoozed resources with no known price (hours, no money)
    # Off time and savings that idle stops began (a part of the savings, not extra).
    idle_hours: float = 0.0
    idle_saved: float = 0.0


def counts(items: Iterable[ResourceSavings]) -> Counts:
    actions = failures = snoozes = unpriced = 0
    hours = cost = idle_hours = idle_saved = 0.0
    for item in items:
        idle_hours += item.idle_hours
        idle_saved += item.idle_saved
        actions += item.actions
        failures += item.failures
        snoozes += item.snoozes
        hours += item.snooze_hours
        cost += item.snooze_cost
        if item.snooze_hours > 0 and item.hourly_price is None:
            unpriced += 1
    return Counts(actions, failures, snoozes, hours, cost, unpriced, idle_hours, idle_saved)


@dataclass(frozen=True)
class Trend:
    """Money saved per week (oldest first; the last is the reported week) and the month
    so far (from ``month_start`` to the end of the reported week)."""

    weeks: tuple[tuple[date, float], ...]
    month_start: date
    month_to_date: float

    @property
    def this_week(self) -> float:
        return self.weeks[-1][1] if self.weeks else 0.0

    @property
    def earlier(self) -> tuple[tuple[date, float], ...]:
        return self.weeks[:-1]

    @property
    def empty(self) -> bool:
        return not any(saved > 0 for _, saved in self.weeks)

    @property
    def peak(self) -> float:
        return max((saved for _, saved in self.weeks), default=0.0)

    @property
    def earlier_average(self) -> float:
        earlier = [saved for _, saved in self.earlier]
        return sum(earlier) / len(earlier) if earlier else 0.0


def trend(
    items: Iterable[ResourceSavings],
    labels: Sequence[date],
    mondays: Sequence[date],
    month_start: date,
) -> Trend:
    """Sum each resource's ``history_saved`` (one value per segment, segment ``i`` starting
    on ``labels[i]``) into the weeks starting on ``mondays`` and the month to date."""
    per_segment = [0.0] * len(labels)
    for item in items:
        _add_into(per_segment, item.history_saved)
    weeks = []
    for monday in mondays:
        end = monday + timedelta(days=7)
        weeks.append(
            (monday, sum(v for d, v in zip(labels, per_segment, strict=True) if monday <= d < end))
        )
    month = sum(v for d, v in zip(labels, per_segment, strict=True) if d >= month_start)
    return Trend(tuple(weeks), month_start, month)


@dataclass(frozen=True)
class Problem:
    resource: ResourceSavings
    reason: str


@dataclass
class Showback:
    title: str
    days: tuple[date, ...]
    window_hours: float
    totals: Totals
    groups: list[tuple[str, list[tuple[str, Totals]]]]
    top: list[ResourceSavings]
    problems: list[Problem]
    daily: dict[str, list[float]]
    opportunities: list[Opportunity] = field(default_factory=list)
    currencies: tuple[str, ...] = ("USD",)
    counts: Counts = field(default_factory=Counts)
    trend: Trend | None = None
    snoozes_by: list[tuple[str, Counts]] = field(default_factory=list)

    @property
    def currency(self) -> str:
        return self.currencies[0] if self.currencies else "USD"

    @property
    def opportunity_total(self) -> float:
        return sum(o.weekly_saving or 0.0 for o in self.opportunities)


def daily_by_provider(items: Iterable[ResourceSavings], ndays: int) -> dict[str, list[float]]:
    series: dict[str, list[float]] = {}
    for item in items:
        row = series.get(item.provider)
        if row is None:
            row = series[item.provider] = [0.0] * ndays
        _add_into(row, item.daily_saved)
    return dict(sorted(series.items()))


def _add_into(total: list[float], values: Sequence[float]) -> None:
    """``total[i] += values[i]`` for the first ``len(total)`` values, in place (one call
    per resource: the fleet's report sums these for every resource)."""
    count = min(len(total), len(values))
    total[:count] = map(add, total[:count], values[:count])


def build(
    title: str,
    items: Sequence[ResourceSavings],
    days: Sequence[date],
    window_hours: float,
    dimensions: Sequence[str],
    opportunities: Sequence[Opportunity] = (),
    top_n: int = 10,
    schedule_of: Key | None = None,
    history: Trend | None = None,
    snooze_key: Key | None = None,
) -> Showback:
    """One report (the whole fleet, or one team's share). ``snooze_key`` groups the
    snoozes (by team, in the fleet report)."""
    active = [i for i in items if i.active]
    booked = [i for i in active if i.hours_off > 0 or i.problems]
    groups = [
        (name, group(booked, dimension(name, schedule_of), window_hours)) for name in dimensions
    ]
    problems = [Problem(i, reason) for i in active for reason in dict.fromkeys(i.problems)]
    currencies = sorted({i.currency for i in active if i.hourly_price is not None}) or ["USD"]
    return Showback(
        title=title,
        days=tuple(days),
        window_hours=window_hours,
        totals=totals(active, window_hours),
        groups=groups,
        top=[i for i in active if i.saved > 0][:top_n],
        problems=problems,
        daily=daily_by_provider(active, len(days)),
        opportunities=list(opportunities),
        currencies=tuple(currencies),
        counts=counts(active),
        trend=history,
        snoozes_by=_snoozes_by(active, snooze_key) if snooze_key else [],
    )


def _snoozes_by(items: Iterable[ResourceSavings], key: Key) -> list[tuple[str, Counts]]:
    buckets: dict[str, list[ResourceSavings]] = {}
    for item in items:
        if item.snoozes or item.snooze_hours:
            buckets.setdefault(key(item), []).append(item)
    rows = [(value, counts(members)) for value, members in buckets.items()]
    return sorted(rows, key=lambda r: (-r[1].snooze_cost, -r[1].snoozes, r[0]))


def split_by_tag(items: Iterable[ResourceSavings], key: str) -> dict[str, list[ResourceSavings]]:
    teams: dict[str, list[ResourceSavings]] = {}
    for item in items:
        teams.setdefault(str(item.tags.get(key) or UNSET), []).append(item)
    return dict(sorted(teams.items()))
