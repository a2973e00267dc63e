"""``offhours ledger show | export``: the savings of a window, as the digest counts them.

Both commands take the digest's window: ``--week`` (an ISO week, local midnights in
``--tz``) or ``--from``/``--to`` (whole days, inclusive), default the last full week; and
``--accrue-to`` (default: now), the instant the report is read at. Resources still off
count only up to the last run that saw them off (its still-off checkpoint row), never to
``--accrue-to``; targets with no run in the two run intervals before it are named.
``ledger show``'s total is the digest's total for the same window to the cent;
``ledger export`` writes the booked rows whose charge period overlaps the window (see
docs/ledger.md, "Booked and accrued"). A location that holds no ledger is refused: a
typo must not read as "$0 saved".
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from functions.cli import display, ledger_sql, ledger_verify
from functions.cli.main import UsageError, instant
from functions.settings import ConfigError, Settings
from providers.store import ObjectStore


def register(subparsers: Any) -> None:
    ledger = subparsers.add_parser("ledger", help="read the savings ledger")
    commands = ledger.add_subparsers(dest="ledger_command", required=True, metavar="COMMAND")
    show = commands.add_parser("show", help="savings per resource over a window, and the total")
    _window_flags(show)
    show.add_argument(
        "-o", "--output", choices=display.OUTPUTS, default="table", help="table, json or csv"
    )
    show.add_argument("--wide", action="store_true", help="table: add accounts and resource ids")
    show.set_defaults(handler=_show)
    export = commands.add_parser("export", help="the window's booked rows as CSV or JSON Lines")
    _window_flags(export)
    export.add_argument(
        "-o",
        "--output",
        "--format",
        dest="format",
        choices=("csv", "json", "jsonl"),
        default="csv",
        help="csv (default), json (one array) or jsonl (one row a line)",
    )
    export.add_argument("--out", help="file to write (default: standard output)")
    export.set_defaults(handler=_export)
    ledger_verify.register(commands)
    ledger_sql.register(commands, _window_flags)


def _window_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--week", help="ISO week, e.g. 2026-W48 (default: last full week)")
    parser.add_argument("--from", dest="since", help="first day (YYYY-MM-DD)")
    parser.add_argument("--since", dest="since", help=argparse.SUPPRESS)
    parser.add_argument("--to", dest="until", help="last day, inclusive (default: today)")
    parser.add_argument(
        "--accrue-to",
        "--at",
        dest="accrue_to",
        help="read the ledger as at this instant (default: now); still-off resources "
        "count only up to the last run that saw them off",
    )
    parser.add_argument("--tz", help="reporting time zone (default: OFFHOURS_DEFAULT_TZ or UTC)")
    parser.add_argument("--ledger", help="ledger location: a path, s3://, gs:// or azblob://")
    parser.add_argument("--config", help="YAML file of settings")


@dataclass(frozen=True)
class LedgerWindow:
    start: datetime
    end: datetime
    tz: str
    accrue_to: datetime
    # The scheduling run's interval (``OFFHOURS_RUN_INTERVAL_MINUTES``).
    run_interval: timedelta = timedelta(minutes=15)

    @property
    def accrued_until(self) -> datetime:
        return self.end if self.end.timestamp() <= self.accrue_to.timestamp() else self.accrue_to


def _day(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise UsageError(f"{flag} {text!r} is not a date (YYYY-MM-DD)") from err


def window_from(args: argparse.Namespace, tz: str) -> LedgerWindow:
    """The digest's window: a week, or whole local days; the end is exclusive."""
    from functions.jobs.digest import DigestError, parse_week, previous_week, week_window, zone

    accrue_to = instant(args.accrue_to)
    try:
        local = zone(tz)
        if args.week and (args.since or args.until):
            raise UsageError("give either --week or --from/--to, not both")
        if args.since or args.until:
            if not args.since:
                raise UsageError("--to needs --from")
            first = _day(args.since, "--from")
            last = _day(args.until, "--to") if args.until else accrue_to.astimezone(local).date()
            if last < first:
                raise UsageError(f"--to {last} is before --from {first}")
            start = datetime.combine(first, time(), local)
            end = datetime.combine(last + timedelta(days=1), time(), local)
        else:
            start, end = week_window(parse_week(args.week or previous_week(accrue_to, tz)), tz)
    except DigestError as err:
        raise UsageError(str(err)) from err
    return LedgerWindow(start, end, tz, accrue_to)


def open_ledger(args: argparse.Namespace) -> tuple[ObjectStore, LedgerWindow]:
    """The ledger to read (never created) and the window; the window is checked first,
    and a location where no run ever wrote is refused."""
    from functions.readonly_store import holds_ledger, open_readonly
    from providers.store import StoreError

    try:
        settings = Settings.from_sources({"ledger": args.ledger}, os.environ, args.config)
    except ConfigError as err:
        raise UsageError(str(err)) from err
    window = replace(
        window_from(args, args.tz or settings.default_tz),
        run_interval=timedelta(minutes=settings.run_interval_minutes),
    )
    try:
        store = open_readonly(settings.ledger, settings.store_endpoint_url)
        if not holds_ledger(store):
            raise UsageError(f"no ledger at {store.url}: no run has written there (check --ledger)")
    except (ConfigError, StoreError) as err:
        raise UsageError(str(err)) from err
    return store, window


def _export(args: argparse.Namespace) -> int:
    from ledger.export import export_window
    from ledger.observed import last_observed
    from ledger.versions import LedgerVersionError
    from providers.store import StoreError

    store, window = open_ledger(args)
    try:
        with contextlib.ExitStack() as stack:
            out = (
                stack.enter_context(open(args.out, "w", encoding="utf-8", newline=""))
                if args.out
                else sys.stdout
            )
            count = export_window(store, window.start, window.end, out, args.format)
        observed = last_observed(store)
    except (StoreError, LedgerVersionError) as err:
        raise UsageError(str(err)) from err
    except OSError as err:
        raise UsageError(f"cannot write {args.out}: {err.strerror}") from err
    if args.out:
        print(f"{count} rows written to {args.out}", file=sys.stderr)
    _print_observed(observed, window, sys.stderr)
    return 0


# By name; ``--wide`` adds the account and the id (an Azure id is ~150 characters).
_COLUMNS = ("PROVIDER", "KIND", "NAME", "HOURS OFF", "ACCRUING", "SAVED")
_WIDE_COLUMNS = ("PROVIDER", "ACCOUNT", "KIND", "RESOURCE", *_COLUMNS[2:])


def _show(args: argparse.Namespace) -> int:
    from ledger.observed import last_observed
    from ledger.summary import window_summary
    from providers.store import StoreError

    store, window = open_ledger(args)
    try:
        items = window_summary(store, window.start, window.end, window.tz)
        observed = last_observed(store)
    except StoreError as err:
        raise UsageError(str(err)) from err
    seen = {o.target: o.last_run for o in observed}
    items = [s for s in items if s.hours_off > 0 or s.problems]
    total_saved = sum(s.saved for s in items)
    currency = next((s.currency for s in items if s.price_known), "USD")
    records: list[dict[str, Any]] = [
        {
            "provider": s.provider,
            "account": s.account,
            "kind": s.kind,
            "id": s.resource_id,
            "name": s.name,
            "region": s.region,
            "schedule": s.schedule or None,
            "hours_off": round(s.hours_off, 4),
            "accrued_hours": round(s.accrued_hours, 4),
            "hourly_price": s.hourly_price,
            "saved": round(s.saved, 2) if s.price_known else None,
            "currency": s.currency,
            "problems": s.problems,
            "last_observed": _iso(seen.get(_target(s.provider, s.account, s.region))),
        }
        for s in items
    ]
    if args.output == "json":
        display.write_json(
            {
                "schema": "offhours.ledger-show/v1",
                "window": {
                    "start": window.start.isoformat(),
                    "end": window.end.isoformat(),
                    "tz": window.tz,
                    "accrued_until": window.accrued_until.isoformat(),
                },
                "resources": records,
                "targets": _targets(observed, window),
                "total": {"saved": round(total_saved, 2), "currency": currency},
            }
        )
        return 0
    if args.output == "csv":
        flat = [{k: v for k, v in r.items() if k != "problems"} for r in records]
        display.write_csv(list(flat[0]) if flat else ["provider"], flat)
        return 0
    _print_show(records, window, args.wide, (total_saved, currency))
    _print_observed(observed, window)
    return 0


def _print_show(
    records: list[dict[str, Any]], window: LedgerWindow, wide: bool, total: tuple[float, str]
) -> None:
    """The table (a TOTAL line under it) and the sentence with the window's total (summed
    before rounding, as the digest sums it)."""
    saved, currency = total
    columns = _WIDE_COLUMNS if wide else _COLUMNS
    rows = [_show_cells(r, columns) for r in records]
    hours = sum(r["hours_off"] for r in records)
    cells = {"NAME": f"{len(records)} resources", "HOURS OFF": f"{hours:.2f}"}
    cells["SAVED"] = f"{saved:,.2f} {currency}" if rows else ""
    display.table(columns, rows, total=display.total_row(columns, cells))
    accrued = sum(r["accrued_hours"] for r in records)
    print()
    display.paragraph(
        f"{_span(window)}: saved {saved:,.2f} {currency} over {len(records)} resources "
        f"(including {accrued:.1f} hours of periods still open, up to the last run "
        "that saw them off)"
    )


def _show_cells(record: dict[str, Any], columns: tuple[str, ...]) -> tuple[str, ...]:
    saved = record["saved"]
    cells = {
        "PROVIDER": record["provider"],
        "ACCOUNT": record["account"],
        "KIND": record["kind"],
        "RESOURCE": record["id"],
        "NAME": record["name"] or record["id"],
        "HOURS OFF": f"{record['hours_off']:.2f}",
        "ACCRUING": f"{record['accrued_hours']:.2f}",
        "SAVED": "price unknown" if saved is None else f"{saved:,.2f} {record['currency']}",
    }
    return tuple(cells[c] for c in columns)


def _target(provider: str, account: str, region: str) -> str:
    return f"{provider}/{account}/{region or 'global'}"


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _targets(observed: list[Any], window: LedgerWindow) -> list[dict[str, Any]]:
    """Each target's last run, and whether it is older than two run intervals."""
    from ledger.observed import unobserved

    late = {o.target for o in unobserved(observed, window.accrued_until, window.run_interval)}
    return [
        {
            "target": o.target,
            "last_observed": o.last_run.isoformat(),
            "unobserved": o.target in late,
        }
        for o in observed
    ]


def _print_observed(observed: list[Any], window: LedgerWindow, file: Any = None) -> None:
    """When the targets were last observed, and which ones no run looked at lately."""
    from ledger.observed import describe, unobserved

    file = file or sys.stdout
    late = unobserved(observed, window.accrued_until, window.run_interval)
    if observed:
        newest = observed[-1].last_run.isoformat(timespec="minutes")
        oldest = observed[0].last_run.isoformat(timespec="minutes")
        when = f"at {newest}" if oldest == newest else f"between {oldest} and {newest}"
        display.paragraph(f"targets last observed {when}", file)
    for item in late:
        display.paragraph(describe(item, window.tz), file)


def _span(window: LedgerWindow) -> str:
    last = (window.end - timedelta(days=1)).date()
    return f"{window.start.date()} to {last} ({window.tz})"
