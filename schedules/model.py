"""Plain data: what a schedule says, independent of the grammar it was written in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

MINUTES_PER_DAY = 1440
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY


class State(StrEnum):
    RUNNING = "running"
    STOPPED = "stopped"


class Source(StrEnum):
    """Which grammar a schedule came from (the engine tells, the caller need not)."""

    CATALOG = "catalog"
    INLINE = "inline"
    LABEL = "label"
    CUSTODIAN = "custodian"


@dataclass(frozen=True)
class Period:
    """Running time on each of ``days``: from ``start`` to ``stop`` local minutes after midnight.

    ``stop`` may be 1440 (24:00). ``stop < start`` runs past midnight into the next day.
    ``days`` keeps the normalised day tokens as written ("mon-fri", "sat") so the
    schedule can be written back in the same words.
    """

    days: tuple[str, ...]
    start: int
    stop: int


@dataclass(frozen=True)
class CronPair:
    """The schedule runs after ``start`` fires and stops after ``stop`` fires (local wall time)."""

    start: str
    stop: str


@dataclass(frozen=True)
class Event:
    """A weekly switch (Cloud Custodian on/off hours): ``day`` 0=Monday, ``minute`` of the day."""

    day: int
    minute: int
    state: State


@dataclass(frozen=True)
class Holidays:
    """Whole local days off: a national calendar (``holidays`` package) and/or explicit dates."""

    country: str = ""
    subdivision: str = ""
    dates: tuple[date, ...] = ()


@dataclass(frozen=True)
class Schedule:
    """A resolved schedule. Exactly one of ``periods`` / ``events`` / ``cron`` drives it
    (no periods at all means never running). ``opt_out`` schedules have no state: the
    resource is left alone, and evaluating one raises ScheduleError."""

    name: str
    description: str
    timezone: str
    hibernate: bool = False
    opt_out: bool = False
    periods: tuple[Period, ...] = ()
    events: tuple[Event, ...] = ()
    cron: CronPair | None = None
    holidays: Holidays | None = None
    source: Source = Source.CATALOG
    # Compiled evaluation plan, built on first use (see evaluate.plan_for).
    _plan: object = field(default=None, init=False, repr=False, compare=False, hash=False)


OverrideMode = Literal["running", "stopped", "opt-out"]


@dataclass(frozen=True)
class Override:
    """A self-service override tag: keep ``mode`` until ``until`` (UTC), or opt out for good."""

    mode: OverrideMode
    until: datetime | None
