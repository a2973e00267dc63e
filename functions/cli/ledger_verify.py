"""``offhours ledger verify``: is the ledger whole, strict and free of double counting?"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from functions.cli.main import UsageError
from functions.settings import ConfigError, Settings


def register(commands: Any) -> None:
    verify = commands.add_parser(
        "verify",
        help="check every ledger and state object: readable, strict JSON, nothing doubled",
        description=(
            "Reads every ledger object and state object and reports each one that is "
            "unreadable, not strict JSON, has a period ending before it starts, a "
            "non-finite or negative number, or books time already booked."
        ),
    )
    verify.add_argument("--ledger", help="ledger location: a path, s3://, gs:// or azblob://")
    verify.add_argument("--config", help="YAML file of settings")
    verify.set_defaults(handler=_verify)


def _verify(args: argparse.Namespace) -> int:
    from functions.wiring import open_store
    from ledger.verify import verify
    from providers.store import StoreError

    try:
        settings = Settings.from_sources({"ledger": args.ledger}, os.environ, args.config)
        store = open_store(settings.ledger, settings.store_endpoint_url)
        verdict = verify(store)
    except (ConfigError, StoreError) as err:
        raise UsageError(str(err)) from err
    for problem in verdict.problems:
        print(f"offhours: {problem}", file=sys.stderr)
    pending = f", {verdict.pending_rows} rows pending" if verdict.pending_rows else ""
    status = "OK" if verdict.ok else f"{len(verdict.problems)} problems"
    print(
        f"{verdict.objects} ledger objects, {verdict.rows} rows, "
        f"{verdict.states} state objects{pending}: {status}"
    )
    return 0 if verdict.ok else 1
