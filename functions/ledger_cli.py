"""``offhours ledger show``: the rows and the savings they add up to."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from functions import ledger_verify
from functions.cli import UsageError
from functions.settings import ConfigError, Settings


def register(subparsers: Any) -> None:
    ledger = subparsers.add_parser("ledger", help="read the savings ledger")
    commands = ledger.add_subparsers(dest="ledger_command", required=True, metavar="COMMAND")
    show = commands.add_parser("show", help="list ledger rows and total savings")
    show.add_argument("--since", help="first day (YYYY-MM-DD), default: 7 days ago")
    show.add_argument("--ledger", help="ledger location: a path, s3://, gs:// or azblob://")
    show.add_argument("--config", help="YAML file of settings")
    show.set_defaults(handler=_show)
    export = commands.add_parser("export", help="ledger rows as CSV or JSON Lines")
    export.add_argument("--from", dest="since", required=True, help="first day (YYYY-MM-DD)")
    export.add_argument("--to", dest="until", required=True, help="last day (YYYY-MM-DD)")
    export.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    export.add_argument("--out", help="file to write (default: standard output)")
    export.add_argument("--ledger", help="ledger location: a path, s3://, gs:// or azblob://")
    export.add_argument("--config", help="YAML file of settings")
    export.set_defaults(handler=_export)
    ledger_verify.register(commands)


def _day(text: str | None, default: date, flag: str = "--since") -> date:
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise UsageError(f"{flag} {text!r} is not a date (YYYY-MM-DD)") from err


def _export(args: argparse.Namespace) -> int:
    import contextlib
    import sys

    from functions.wiring import open_store
    from ledger.export import export
    from ledger.store import StoreError
    from ledger.versions import LedgerVersionError

    since = _day(args.since, date.today(), "--from")
    until = _day(args.until, date.today(), "--to")
    if until < since:
        raise UsageError(f"--to {until} is before --from {since}")
    try:
        settings = Settings.from_sources({"ledger": args.ledger}, os.environ, args.config)
        store = open_store(settings.ledger, settings.store_endpoint_url)
        with contextlib.ExitStack() as stack:
            out = (
                stack.enter_context(open(args.out, "w", encoding="utf-8", newline=""))
                if args.out
                else sys.stdout
            )
            count = export(store, since, until, out, args.format)
    except (ConfigError, StoreError, LedgerVersionError, OSError) as err:
        raise UsageError(str(err)) from err
    if args.out:
        print(f"{count} rows written to {args.out}", file=sys.stderr)
    return 0


def _show(args: argparse.Namespace) -> int:
    from functions.wiring import open_store
    from ledger.book import read_records
    from ledger.store import StoreError
    from ledger.summary import window_summary
    from ledger.versions import upgraded

    try:
        settings = Settings.from_sources({"ledger": args.ledger}, os.environ, args.config)
        store = open_store(settings.ledger, settings.store_endpoint_url)
        since = _day(args.since, datetime.now(UTC).date() - timedelta(days=7))
        rows = list(upgraded(read_records(store, since=since)))
        now = datetime.now(UTC)
        savings = window_summary(store, datetime.combine(since, time(), UTC), now, now=now)
    except (ConfigError, StoreError) as err:
        raise UsageError(str(err)) from err
    for row in rows:
        saved = row.get("x_EstimatedSavings")
        print(
            "\t".join(
                [
                    row["x_RecordedAt"],
                    row["ProviderName"],
                    row["ResourceType"],
                    row["ResourceId"],
                    row["x_Action"],
                    row["x_Outcome"],
                    f"{row['x_AvoidedHours']:.2f}h",
                    "price unknown" if saved is None else f"{saved:.2f} {row['BillingCurrency']}",
                    row["x_Reason"],
                ]
            )
        )
    total = sum(s.saved for s in savings)
    accrued = sum(s.accrued_hours for s in savings)
    print(
        f"\n{len(rows)} rows since {since}; saved {total:.2f} USD "
        f"(including {accrued:.1f} hours still accruing for resources that are off now)"
    )
    return 0
