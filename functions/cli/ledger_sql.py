"""``offhours ledger sql``: the SQL that gives the digest's savings, ready to run.

Prints one statement for DuckDB, Athena or BigQuery over the configured ledger location,
for the same window as ``ledger show`` (``--week`` or ``--from``/``--to``); it returns
the window's saved total and one row per resource (``ledger/sql.py``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from functions.cli.main import UsageError


def register(commands: Any, window_flags: Any) -> None:
    from ledger.sql import ENGINES

    sql = commands.add_parser(
        "sql",
        help="print the SQL statement that returns the window's savings",
        description=(
            "Prints a statement over the ledger location that returns the window's saved "
            "total (the row with null resource columns) and per-resource rows, counted as "
            "the digest counts them. DuckDB reads the objects directly; Athena and "
            "BigQuery read the tables of docs/athena.sql and docs/bigquery-table.json."
        ),
    )
    sql.add_argument("--engine", choices=ENGINES, default="duckdb", help="SQL dialect")
    sql.add_argument(
        "--table",
        default="offhours_ledger",
        help="Athena or BigQuery table name (default: offhours_ledger)",
    )
    window_flags(sql)
    sql.set_defaults(handler=_sql)


def _sql(args: argparse.Namespace) -> int:
    from functions.cli.ledger import open_ledger
    from ledger.sql import statement
    from providers.store import StoreError

    store, window = open_ledger(args)
    location = getattr(store, "url", "")
    if not urlparse(location).scheme or location.startswith("file://"):
        location = str(Path(location.removeprefix("file://")).expanduser().resolve())
    accounts: list[str] = []
    if args.engine == "athena":
        try:
            accounts = ledger_accounts(store.list("ledger/v1/"))
        except StoreError as err:
            raise UsageError(str(err)) from err
    print(statement(args.engine, window.start, window.end, location, args.table, accounts) + ";")
    return 0


def ledger_accounts(keys: Any) -> list[str]:
    """The ``account=`` partition values among ledger object keys."""
    found = set()
    for key in keys:
        for part in str(key).split("/"):
            if part.startswith("account="):
                found.add(part.removeprefix("account="))
    return sorted(found)
