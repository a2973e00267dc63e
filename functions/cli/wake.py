"""``offhours wake NAME… [--for 2h | --until 18:00]``: bring resources back now, and say
when they will be stopped again.

First, changing nothing, every name must be a resource the run can see. With ``--for``
or ``--until`` the resource's override tag (``running-until-…``, the one snooze links
set) is written before it is started, so the scheduled runs keep it on until then; a
resource whose tag cannot be written is reported and not started. A plain ``wake`` keeps
the box for the grace period only, and says so.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from functions.cli import display
from functions.cli.main import UsageError, instant
from functions.cli.run import (
    _exit_code,
    add_settings_flags,
    execute,
    readonly_store,
    settings_from,
)
from functions.jobs.reconcile import Job
from functions.jobs.snooze.until import next_local, override_value
from functions.settings import Settings
from providers.base import Decision, Resource

# The longest a wake may hold a resource on: a week, as the longest snooze a person means.
LONGEST = timedelta(days=7)
_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?:in)?)?")
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_ON_ACTIONS = ("start", "scale-up")


def register(subparsers: Any) -> None:
    wake = subparsers.add_parser("wake", help="bring resources back now, whatever the schedule")
    wake.add_argument("resources", nargs="+", help="resource ids or names")
    hold = wake.add_mutually_exclusive_group()
    hold.add_argument(
        "--for", dest="hold_for", metavar="DURATION", help="keep on this long: 2h, 90m, 1d"
    )
    hold.add_argument(
        "--until",
        dest="hold_until",
        metavar="TIME",
        help="keep on until HH:MM (next, in --tz) or an ISO 8601 instant",
    )
    add_settings_flags(wake)
    wake.set_defaults(handler=_wake)


def parse_duration(text: str) -> timedelta:
    match = _DURATION.fullmatch(text.strip().lower())
    if not text.strip() or not match or not any(match.groups()):
        raise UsageError(f"--for {text!r} is not a duration (e.g. 2h, 90m, 1h30m, 1d)")
    days, hours, minutes = (int(g or 0) for g in match.groups())
    return timedelta(days=days, hours=hours, minutes=minutes)


def hold_until(hold_for: str | None, until: str | None, now: datetime, tz: str) -> datetime | None:
    """The instant a woken resource is kept on until (UTC, to the minute, as the override
    tag holds it), or None for a plain wake. ``--until HH:MM`` is the next such wall-clock
    time in ``tz``; an ISO instant must carry its offset."""
    if hold_for is not None:
        end = now + parse_duration(hold_for)
    elif until is not None:
        wall = _CLOCK.fullmatch(until.strip())
        end = next_local(now, time(int(wall[1]), int(wall[2])), tz) if wall else instant(until)
    else:
        return None
    if end <= now:
        raise UsageError(f"--until {until!r} is not after now ({now.isoformat()})")
    if end - now > LONGEST:
        raise UsageError("a wake holds a resource on for a week at most (use the schedule tag)")
    return end.astimezone(UTC).replace(second=0, microsecond=0)


def _wake(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    now = instant(args.at)
    until = hold_until(args.hold_for, args.hold_until, now, settings.default_tz)
    names = frozenset(args.resources)
    # First, changing nothing: every name must be a resource this run can see.
    check = execute(settings.replace(dry_run=True), now, wake=names, store=readonly_store(settings))
    seen = {d.resource.id for d in check.decisions} | {d.resource.name for d in check.decisions}
    missing = sorted(names - seen)
    if missing:
        for error in check.errors:
            display.say(f"offhours: {error}", stream=sys.stderr)
        raise UsageError(
            f"no resource named {', '.join(missing)} carries the {settings.tag_key!r} tag "
            "in the targets searched; nothing was changed"
        )
    held, failed = _hold(check.decisions, until, settings, now) if until else ([], [])
    to_wake = [d for d in check.decisions if d.action.value in _ON_ACTIONS and d not in failed]
    for decision in check.decisions:
        if decision not in to_wake and decision not in failed:
            state = decision.resource.state.value
            print(f"{_label(decision.resource)}\tnot woken\t{state}{_kept(decision, held, until)}")
    if not to_wake:
        return 1 if check.errors or failed else 0
    from providers.metering import Meter

    report = execute(settings, now, wake=frozenset(d.resource.id for d in to_wake), meter=Meter())
    for result in report.results:
        if result.decision.action.value in _ON_ACTIONS:
            if result.error:
                print(f"{_label(result.resource)}\t{result.outcome.value}\t{result.error}")
                continue
            line = f"{_label(result.resource)}\t{result.outcome.value}"
            print(line + _kept(result.decision, held, until, settings.grace_minutes, now))
    return 1 if failed else _exit_code(report)


def _label(resource: Resource) -> str:
    return f"{resource.name} ({resource.id})" if resource.name != resource.id else resource.id


def _kept(
    decision: Decision,
    held: Sequence[Decision],
    until: datetime | None,
    grace_minutes: int = 0,
    now: datetime | None = None,
) -> str:
    """When the woken resource will be stopped again, in words."""
    if until is not None and decision.resource.key in {d.resource.key for d in held}:
        return f"\tkept on until {until:%a %Y-%m-%d %H:%M} UTC; the first run after that stops it"
    if until is None and now is not None:
        end = now + timedelta(minutes=grace_minutes)
        return (
            f"\ton for the grace period: the first run after {end:%a %H:%M} UTC stops it "
            "if its schedule says off (--for or --until keeps it longer)"
        )
    return ""


def _hold(
    decisions: Sequence[Decision], until: datetime, settings: Settings, now: datetime
) -> tuple[list[Decision], list[Decision]]:
    """Write the override tag on every named resource, before any is started: those
    held, and those whose tag the cloud refused (reported, not started)."""
    from functions.cli.run import job_for
    from providers.override_desk import DeskError

    job = job_for(settings.replace(dry_run=True), now, store=readonly_store(settings))
    value = override_value(until)
    held: list[Decision] = []
    failed: list[Decision] = []
    for decision in decisions:
        resource = decision.resource
        try:
            desk_for(job, resource, lambda: now).write_override(
                resource, settings.override_key, value
            )
        except DeskError as err:
            display.say(
                f"offhours: {_label(resource)}: override not written: {err}", stream=sys.stderr
            )
            failed.append(decision)
            continue
        held.append(decision)
    return held, failed


def desk_for(job: Job, resource: Resource, clock: Callable[[], datetime]) -> Any:
    """The cloud's override desk (``providers.DESKS``), through the job's own connection
    (its credentials, roles and endpoint)."""
    import providers

    build = providers.load(providers.DESKS[resource.provider])
    return build(job.connections[resource.provider], resource, clock)
