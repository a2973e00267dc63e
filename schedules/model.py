"""Plain data: what a schedule says, independent of the grammar it was written in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
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


class Sides(StrEnum):
    """Which switches a schedule makes. A two-sided schedule has a desired state at every
    instant; a one-sided one only wants its state for a while after each of its switches
    (its catch-up window) and has no opinion otherwise."""

    BOTH = "both"
    STOP_ONLY = "stop-only"
    START_ONLY = "start-only"

    @property
    def state(self) -> State | None:
        """The state a one-sided schedule switches to (None for two-sided ones)."""
        if self is Sides.STOP_ONLY:
            return State.STOPPED
        if self is Sides.START_ONLY:
            return State.RUNNING
        return None


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
class Moment:
    """One side's switch of a stop-only or start-only schedule: at ``minute`` local minutes
    after midnight (0-1439) on each of ``days`` (normalised tokens, as in Period)."""

    days: tuple[str, ...]
    minute: int


@dataclass(frozen=True)
class CronPair:
    """The schedule runs after ``start`` fires and stops after ``stop`` fires (local wall time).

    A one-sided schedule has only one of them (the other is None)."""

    start: str | None
    stop: str | None


@dataclass(frozen=True)
class Switch:
    """A one-sided schedule's latest switch at or before some instant, while it still acts:
    at ``at`` it wanted ``state``; runs before ``until`` (the end of its catch-up window)
    still act on it."""

    at: datetime
    state: State
    until: datetime


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
    """A resolved schedule. Exactly one of ``periods`` / ``events`` / ``cron`` drives a
    two-sided schedule (no periods at all means never running); ``moments`` or a cron pair
    with one side drive a one-sided one (``sides``). ``opt_out`` schedules have no state:
    the resource is left alone, and evaluating one raises ScheduleError.

    ``catch_up`` is how long after each switch of a one-sided schedule a run still acts on
    it; None means until the next local midnight."""

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
    sides: Sides = Sides.BOTH
    moments: tuple[Moment, ...] = ()
    catch_up: timedelta | None = None
    # One-off ranges (naive UTC, start inclusive, end exclusive): kube-downscaler's
    # absolute uptime ranges; running inside one, stopped outside (schedules/absolute.py).
    windows: tuple[tuple[datetime, datetime], ...] = ()
    # Maintenance windows written as inline schedules (``sun 02:00-04:00 Europe/Berlin``):
    # the resource runs through each of them whatever the schedule says (maintenance.py).
    maintenance: tuple[str, ...] = ()
    # Compiled evaluation plan, built on first use (see evaluate.plan_for).
    _plan: object = field(default=None, init=False, repr=False, compare=False, hash=False)


OverrideMode = Literal["running", "stopped", "opt-out"]


@dataclass(frozen=True)
class Override:
    """A self-service override tag: keep ``mode`` until ``until`` (UTC), or opt out for good."""

    mode: OverrideMode
    until: datetime | None
