"""Showback, pure: per-resource savings grouped the way a FinOps team asks for them.

For each resource the ledger saw in the window:

* *saved* = its booked (and still accruing) avoided hours x price, from ``summary``;
* *would have cost* = price x the window's hours (running the whole window);
* *did cost* = would have cost - saved.

Only resources with a known price count in money; the others are counted apart
("price unknown"). Resources that offhours never acted on in the window are not in the
ledger, so they are in none of these numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

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
        if item.hourly_price is None:
            unpriced += 1
        else:
            would += max(would_have_cost(item, window_hours), item.saved)
    return Totals(would, saved, hours, count, unpriced)


Key = Callable[[ResourceSavings], str]


def dimension(name: str) -> Key:
    """``provider``, ``account``, ``region``, ``kind``, ``schedule`` or ``tag:<key>``."""
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
        buckets.setdefault(key(item), []).append(item)
    rows = [(value, totals(members, window_hours)) for value, members in buckets.items()]
    return sorted(rows, key=lambda r: (-r[1].saved, r[0]))


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

    @property
    def currency(self) -> str:
        return self.currencies[0] if self.currencies else "USD"

    @property
    def opportunity_total(self) -> float:
        return sum(o.weekly_saving or 0.0 for o in self.opportunities)


def daily_by_provider(items: Iterable[ResourceSavings], ndays: int) -> dict[str, list[float]]:
    series: dict[str, list[float]] = {}
    for item in items:
        row = series.setdefault(item.provider, [0.0] * ndays)
        for i, value in enumerate(item.daily_saved[:ndays]):
            row[i] += value
    return dict(sorted(series.items()))


def build(
    title: str,
    items: Sequence[ResourceSavings],
    days: Sequence[date],
    window_hours: float,
    dimensions: Sequence[str],
    opportunities: Sequence[Opportunity] = (),
    top_n: int = 10,
) -> Showback:
    """One report (the whole fleet, or one team's share)."""
    active = [i for i in items if i.hours_off > 0 or i.problems]
    groups = [(name, group(active, dimension(name), window_hours)) for name in dimensions]
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
    )


def split_by_tag(items: Iterable[ResourceSavings], key: str) -> dict[str, list[ResourceSavings]]:
    teams: dict[str, list[ResourceSavings]] = {}
    for item in items:
        teams.setdefault(str(item.tags.get(key) or UNSET), []).append(item)
    return dict(sorted(teams.items()))
