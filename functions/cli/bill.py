"""``offhours bill check | opportunities``: the ledger against the cloud's own bill.

Printing stays here (tables of their own); the work is in ``functions/bill/``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from functions.cli.ledger import _window_flags, open_ledger
from functions.cli.main import UsageError


def register(subparsers: Any) -> None:
    bill = subparsers.add_parser("bill", help="check the ledger's savings against a cost export")
    commands = bill.add_subparsers(dest="bill_command", required=True)
    check = commands.add_parser("check", help="each claimed saving against the bill")
    _window_flags(check)
    _bill_flags(check)
    check.add_argument(
        "--save", action="store_true", help="keep the result in the ledger for the digest"
    )
    check.set_defaults(handler=_check)
    opps = commands.add_parser(
        "opportunities", help="non-production resources billed around the clock"
    )
    _bill_flags(opps)
    opps.add_argument("--schedule", default="office-hours", help="schedule to price")
    opps.add_argument("--config", help="YAML file of settings")
    opps.set_defaults(handler=_opportunities)


def _bill_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--bill",
        help="FOCUS export: CSV, CSV.gz or Parquet file, folder, or s3:// gs:// azblob:// "
        "prefix (default: OFFHOURS_BILL)",
    )
    parser.add_argument("-o", "--output", choices=("table", "json"), default="table")


def _settings(args: argparse.Namespace) -> Any:
    from functions.settings import ConfigError, Settings

    try:
        flags = {"bill": args.bill, "ledger": getattr(args, "ledger", None)}
        settings = Settings.from_sources(flags, os.environ, args.config)
    except ConfigError as err:
        raise UsageError(str(err)) from err
    if not settings.bill:
        raise UsageError("no cost export: pass --bill or set OFFHOURS_BILL")
    return settings


def _check(args: argparse.Namespace) -> int:
    from functions.bill.run import check_bill, save_check
    from functions.bill.source import BillSourceError
    from providers.store import StoreError

    settings = _settings(args)
    store, window = open_ledger(args)
    try:
        result = check_bill(
            store, settings.bill, window.start, window.end, settings.store_endpoint_url
        )
    except (BillSourceError, StoreError) as err:
        raise UsageError(str(err)) from err
    if args.save:
        from functions.wiring import open_store

        save_check(open_store(settings.ledger, settings.store_endpoint_url), result)
    if args.output == "json":
        json.dump(result.to_json(), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        from functions.bill.tables import check_table

        sys.stdout.write(check_table(result))
    return 0


def _opportunities(args: argparse.Namespace) -> int:
    from functions.bill.run import opportunities
    from functions.bill.source import BillSourceError
    from functions.wiring import load_catalog
    from providers.store import StoreError

    settings = _settings(args)
    schedule = load_catalog(settings).get(args.schedule)
    if schedule is None:
        raise UsageError(f"no schedule named {args.schedule!r} in the catalog")
    try:
        found = opportunities(
            settings.bill, schedule, settings.protected_tags(), settings.store_endpoint_url
        )
    except (BillSourceError, StoreError) as err:
        raise UsageError(str(err)) from err
    if args.output == "json":
        json.dump(found.to_json(), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        from functions.bill.tables import opportunities_table

        sys.stdout.write(opportunities_table(found))
    return 0
