"""The digest's savings as one SQL statement, for DuckDB, Athena or BigQuery.

The statement reads the ledger's rows where they lie and returns the window's saved
total (the row whose key columns are all null) and one row per resource, the way
``ledger/summary.py`` counts them:

* each off-period counts once: of the rows carrying its ``x_PeriodId`` (its booking,
  its still-off checkpoints, a retried run's copies), the one with the latest
  ``ChargePeriodEnd``. Rows written before ``x_PeriodId`` existed are keyed by
  resource and ``ChargePeriodStart``, the same identity the id hashes;
* snooze rows (kept running: a cost) and problems (no period) count nothing;
* each period is clipped to the window, priced at its ``ListUnitPrice``; an unknown
  price counts hours, not money;
* the date partitions read are the ones the digest reads: from the day before the
  window to ``LOOKAHEAD_DAYS`` after it (a booking lands in the partition of the run that
  saw the resource come back).

Pure: the location, the window and the accounts (Athena's injected partition) are
parameters; ``functions/cli/ledger_sql.py`` is the command.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ledger.record import SNOOZE_ACTION, STILL_OFF_ACTION
from ledger.schema import COLUMNS
from ledger.summary import LOOKAHEAD_DAYS

ENGINES = ("duckdb", "athena", "bigquery")
# DuckDB infers Tags as a STRUCT of every key it has seen; the ledger's Tags is a map.
_DUCKDB_TYPES = {
    "string": "VARCHAR",
    "double": "DOUBLE",
    "timestamp": "VARCHAR",
    "map": "MAP(VARCHAR, VARCHAR)",
}


@dataclass(frozen=True)
class Dialect:
    """What differs between engines: reading a timestamp column, seconds since the
    epoch, an instant literal, and the text of ``ChargePeriodStart``."""

    ts: Callable[[str], str]
    seconds: Callable[[str], str]
    instant: Callable[[datetime], str]
    start_text: str


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


DIALECTS = {
    "duckdb": Dialect(
        ts=lambda c: f"CAST({c} AS TIMESTAMPTZ)",
        seconds=lambda e: f"epoch({e})",
        instant=lambda t: f"TIMESTAMPTZ '{_utc(t).replace('T', ' ').replace('Z', '+00')}'",
        start_text="ChargePeriodStart",
    ),
    "athena": Dialect(
        ts=lambda c: f"from_iso8601_timestamp({c})",
        seconds=lambda e: f"to_unixtime({e})",
        instant=lambda t: f"from_iso8601_timestamp('{_utc(t)}')",
        start_text="ChargePeriodStart",
    ),
    "bigquery": Dialect(
        ts=lambda c: c,  # the external table types them TIMESTAMP
        seconds=lambda e: f"UNIX_SECONDS({e})",
        instant=lambda t: f"TIMESTAMP '{_utc(t)}'",
        start_text="FORMAT_TIMESTAMP('%Y-%m-%dT%H:%M:%SZ', ChargePeriodStart)",
    ),
}


def partition_days(start: datetime, end: datetime) -> tuple[str, str]:
    """The UTC date partitions the digest reads for [start, end)."""
    first = (start.astimezone(UTC) - timedelta(days=1)).date()
    last = (end.astimezone(UTC) + timedelta(days=LOOKAHEAD_DAYS)).date()
    return first.isoformat(), last.isoformat()


def duckdb_source(location: str) -> str:
    """``read_json`` over every ledger object under ``location`` (a local directory, or
    s3:// gs:// az:// with DuckDB's httpfs/azure extensions), Tags typed as a MAP."""
    root = location.removeprefix("file://").rstrip("/")
    if root.startswith("azblob://"):
        root = "az://" + root.removeprefix("azblob://")
    columns = ", ".join(f"{c.name}: '{_DUCKDB_TYPES[c.type]}'" for c in COLUMNS)
    return (
        f"read_json('{_quote(root)}/ledger/v1/*/*/*/*.jsonl.gz', "
        "format = 'newline_delimited', compression = 'gzip', hive_partitioning = true, "
        f"columns = {{{columns}}})"
    )


def statement(
    engine: str,
    start: datetime,
    end: datetime,
    location: str = "",
    table: str = "offhours_ledger",
    accounts: Sequence[str] = (),
) -> str:
    """The ready-to-run statement for ``engine`` over the window [start, end)."""
    if engine not in DIALECTS:
        raise ValueError(f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})")
    d = DIALECTS[engine]
    first, last = partition_days(start, end)
    source = duckdb_source(location) if engine == "duckdb" else table
    where = [f"CAST(\"date\" AS DATE) BETWEEN DATE '{first}' AND DATE '{last}'"]
    if engine == "athena":  # ``account`` is an injected partition: name every account
        names = ", ".join(f"'{_quote(a)}'" for a in accounts) or "'ACCOUNT'"
        where.append(f"account IN ({names})")
    lo, hi = d.instant(start), d.instant(end)
    return _TEMPLATE.format(
        window=f"{_utc(start)} to {_utc(end)}",
        source=source,
        where=" AND ".join(where),
        start_text=d.start_text,
        snooze=SNOOZE_ACTION,
        still_off=STILL_OFF_ACTION,
        period_start=d.ts("ChargePeriodStart"),
        period_end=d.ts("ChargePeriodEnd"),
        lo=lo,
        hi=hi,
        hours=f"({d.seconds('e')} - {d.seconds('s')}) / 3600.0",
    ).strip()


def _quote(text: str) -> str:
    return text.replace("'", "''")


_TEMPLATE = """
-- offhours: saved from {window} (window end exclusive), as the digest counts it.
-- Each off-period once (its row with the latest ChargePeriodEnd), clipped to the window.
-- The first row (null resource columns) is the total; then one row per resource.
WITH ledger AS (
  SELECT * FROM {source}
  WHERE {where}
),
periods AS (
  SELECT
    ProviderName, SubAccountId, ResourceType, ResourceId, ResourceName,
    ListUnitPrice, BillingCurrency,
    {period_start} AS period_start,
    {period_end} AS period_end,
    row_number() OVER (
      PARTITION BY COALESCE(
        NULLIF(x_PeriodId, ''),
        ProviderName || '/' || SubAccountId || '/' || ResourceType || '/' || ResourceId
          || '@' || {start_text}
      )
      -- The booking closes the period and wins over every checkpoint (one from a run
      -- whose clock ran ahead may end later); then the latest checkpoint.
      ORDER BY CASE WHEN x_Action = '{still_off}' THEN 1 ELSE 0 END,
        ChargePeriodEnd DESC, x_RecordedAt DESC
    ) AS latest
  FROM ledger
  WHERE x_Action NOT IN ('{snooze}', 'skip') AND ChargePeriodEnd > ChargePeriodStart
),
clipped AS (
  SELECT *, GREATEST(period_start, {lo}) AS s, LEAST(period_end, {hi}) AS e
  FROM periods
  WHERE latest = 1
)
SELECT
  ProviderName, SubAccountId, ResourceType, ResourceId,
  CASE WHEN GROUPING(ResourceId) = 0 THEN MAX(ResourceName) END AS ResourceName,
  COALESCE(SUM({hours}), 0) AS hours_off,
  COALESCE(SUM({hours} * ListUnitPrice), 0) AS saved,
  MAX(BillingCurrency) AS currency
FROM clipped
WHERE e > s
GROUP BY GROUPING SETS ((ProviderName, SubAccountId, ResourceType, ResourceId), ())
ORDER BY GROUPING(ResourceId) DESC, saved DESC, ResourceId
"""
