"""``offhours schedule ...``: check, evaluate and list schedules from the command line.

Every problem with the input is printed to stderr as text (the offending token and the
valid forms) with exit code 2; never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from functions.cli.main import UsageError
from schedules import (
    Catalog,
    Schedule,
    ScheduleError,
    Sides,
    load_catalog,
    next_transition,
    parse_override,
    running_hours_per_week,
    wanted_state,
)
from schedules.catalog import load_source
from schedules.zones import canonical_zone

_CATALOG_SUFFIXES = (".yaml", ".yml")
_OVERRIDE_PREFIXES = ("running-until-", "stopped-until-", "opt-out", "skip")
AS_IS = "as-is"  # a one-sided schedule outside its catch-up windows leaves the state as it is


def register(subparsers: Any) -> None:
    group = subparsers.add_parser("schedule", help="check, evaluate and list schedules")
    actions = group.add_subparsers(dest="schedule_command", required=True, metavar="ACTION")

    def catalog_options(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--catalog",
            action="append",
            default=[],
            metavar="DIR",
            help="extra catalog directory or YAML file (repeatable; later ones override)",
        )
        parser.add_argument("--tz", default="UTC", metavar="ZONE", help="default time zone")

    state = actions.add_parser("state", help="print running or stopped at an instant")
    state.add_argument("spec", metavar="SPEC", help="schedule name, inline, label or Custodian")
    state.add_argument("--at", metavar="ISO8601", help="instant with offset (default: now)")
    catalog_options(state)
    state.set_defaults(handler=cmd_state)

    nxt = actions.add_parser("next", help="print the next change after an instant")
    nxt.add_argument("spec", metavar="SPEC")
    nxt.add_argument("--at", metavar="ISO8601", help="instant with offset (default: now)")
    catalog_options(nxt)
    nxt.set_defaults(handler=cmd_next)

    check = actions.add_parser("check", help="validate a schedule value or a catalog file")
    check.add_argument("spec", metavar="SPEC|FILE")
    catalog_options(check)
    check.set_defaults(handler=cmd_check)

    listing = actions.add_parser("list", help="list the catalog's schedules")
    catalog_options(listing)
    listing.set_defaults(handler=cmd_list)

    from functions.cli.schedule_import import register as register_import

    register_import(actions)


def _fail(err: ScheduleError) -> int:
    for line in str(err).splitlines():
        print(f"offhours: {line}", file=sys.stderr)
    return 2


def _instant(text: str | None) -> datetime:
    if text is None:  # like plan and run: now
        return datetime.now(UTC)
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError as err:
        raise UsageError(
            f"--at '{text}' is not an ISO 8601 instant like 2026-11-30T08:00:00+01:00"
        ) from err
    if at.tzinfo is None:
        raise UsageError(
            f"--at '{text}' has no UTC offset: write e.g. {text}+01:00 or {text}Z "
            "(offhours never guesses the zone)"
        )
    return at


def _catalog(args: argparse.Namespace) -> Catalog:
    return load_catalog(args.catalog, default_tz=args.tz)


def _resolve(args: argparse.Namespace) -> Schedule:
    schedule = _catalog(args).resolve(args.spec)
    if schedule.opt_out:
        raise ScheduleError(
            f"'{args.spec}' opts the resource out: offhours leaves it alone, it has no state"
        )
    return schedule


def _state_word(schedule: Schedule, at: datetime) -> str:
    """running / stopped; ``as-is`` where a one-sided schedule has no opinion."""
    wanted = wanted_state(schedule, at)
    return wanted.value if wanted is not None else AS_IS


def _hours(schedule: Schedule) -> str:
    """Running hours per week; a one-sided schedule's running time is up to its people."""
    if schedule.sides is not Sides.BOTH:
        return schedule.sides.value
    return f"{running_hours_per_week(schedule):g}"


def cmd_state(args: argparse.Namespace) -> int:
    at = _instant(args.at)
    try:
        print(_state_word(_resolve(args), at))
    except ScheduleError as err:
        return _fail(err)
    return 0


def cmd_next(args: argparse.Namespace) -> int:
    at = _instant(args.at)
    try:
        schedule = _resolve(args)
        change = next_transition(schedule, at)
        if change is None:
            print(f"never {_state_word(schedule, at)}")
        else:
            print(f"{change[0].isoformat()} {change[1].value}")
    except ScheduleError as err:
        return _fail(err)
    return 0


def _check_file(path: Path, tz: str) -> int:
    problems: list[str] = []
    found = load_source(path, canonical_zone(tz), problems)
    if problems:
        return _fail(ScheduleError.many(problems))
    print(f"ok: {path}: {len(found)} schedule(s): {', '.join(found) or 'none'}")
    return 0


def _check_override(spec: str) -> int:
    override = parse_override(spec)
    until = f" until {override.until.isoformat()}" if override.until else ""
    print(f"ok: override: {override.mode}{until}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    spec: str = args.spec
    try:
        path = Path(spec)
        if path.suffix.lower() in _CATALOG_SUFFIXES or path.is_file():
            return _check_file(path, args.tz)
        if spec.strip().lower().startswith(_OVERRIDE_PREFIXES):
            return _check_override(spec)
        schedule = _catalog(args).resolve(spec)
        if schedule.opt_out:
            print(f"ok: {schedule.source.value}: '{schedule.name}' opts the resource out")
            return 0
        hours = _hours(schedule) + (" h/week" if schedule.sides is Sides.BOTH else "")
        print(
            f"ok: {schedule.source.value} schedule '{schedule.name}': {schedule.description}; "
            f"zone {schedule.timezone}; {hours}"
        )
    except ScheduleError as err:
        return _fail(err)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    try:
        catalog = _catalog(args)
        rows = [(s.name, s.timezone, _hours(s), s.description) for s in catalog]
    except ScheduleError as err:
        return _fail(err)
    header = ("NAME", "ZONE", "H/WEEK", "DESCRIPTION")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    for row in [header, *rows]:
        name, zone, hours, description = row
        line = f"{name:<{widths[0]}}  {zone:<{widths[1]}}  {hours:>{widths[2]}}  {description}"
        print(line.rstrip())
    return 0
