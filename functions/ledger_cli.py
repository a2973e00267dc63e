"""``offhours ledger show``: the rows and the savings they add up to."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

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


def _day(text: str | None, default: date) -> date:
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise UsageError(f"--since {text!r} is not a date (YYYY-MM-DD)") from err


def _show(args: argparse.Namespace) -> int:
    from functions.wiring import open_store
    from ledger.book import read_records
    from ledger.store import StoreError
    from ledger.summary import window_summary

    try:
        settings = Settings.from_sources({"ledger": args.ledger}, os.environ, args.config)
        store = open_store(settings.ledger, settings.store_endpoint_url)
        since = _day(args.since, datetime.now(UTC).date() - timedelta(days=7))
        rows = list(read_records(store, since=since))
        now = datetime.now(UTC)
        savings = window_summary(store, datetime.combine(since, time(), UTC), now)
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
