"""The ledger's columns as data: name, logical type, origin, meaning.

One list drives the CSV export's column order, the checks on the SQL table definitions
(``docs/athena.sql``, ``docs/bigquery-table.json``) and the column table in
``docs/ledger.md``. It must list exactly the keys ``Row.to_dict`` writes (a test checks).

Logical types: ``string``, ``double`` (nullable number), ``timestamp`` (UTC ISO 8601 text
with ``Z`` on disk), ``map`` (string to string). FOCUS names follow FOCUS 1.2; every one
used here already exists in FOCUS 1.0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

LogicalType = Literal["string", "double", "timestamp", "map"]

# The Hive partition keys of ``ledger/<version>/provider=…/account=…/date=…/`` (book.py).
PARTITION_KEYS = ("provider", "account", "date")


@dataclass(frozen=True)
class Column:
    name: str
    type: LogicalType
    focus: bool
    meaning: str


COLUMNS: tuple[Column, ...] = (
    Column("ChargePeriodStart", "timestamp", True, "start of the avoided interval"),
    Column("ChargePeriodEnd", "timestamp", True, "end of the avoided interval"),
    Column("ProviderName", "string", True, "cloud: aws, gcp or azure"),
    Column("SubAccountId", "string", True, "AWS account, GCP project or Azure subscription"),
    Column("RegionId", "string", True, "region of the resource"),
    Column("ResourceId", "string", True, "provider's resource id"),
    Column("ResourceName", "string", True, "display name"),
    Column("ResourceType", "string", True, "offhours kind (ec2, instances, vms, ...)"),
    Column("ServiceName", "string", True, "service the resource bills under"),
    Column("ListUnitPrice", "double", True, "hourly list price used; null when unknown"),
    Column("PricingUnit", "string", True, "always Hours"),
    Column("BillingCurrency", "string", True, "currency of the price and savings"),
    Column("Tags", "map", True, "resource tags or labels at the time of the action"),
    Column("x_SchemaVersion", "string", False, "row layout version (v1)"),
    Column("x_RunId", "string", False, "run that wrote the row (UTC instant)"),
    Column("x_RecordedAt", "timestamp", False, "when the action happened"),
    Column("x_Action", "string", False, "stop, start, scale-down, scale-up or skip"),
    Column("x_Outcome", "string", False, "done, dry-run, failed, skipped or observed"),
    Column("x_Reason", "string", False, "why, in a sentence"),
    Column("x_Schedule", "string", False, "schedule tag value that decided"),
    Column("x_ResourceSize", "string", False, "instance type, SKU or capacity"),
    Column("x_AvoidedHours", "double", False, "hours in the interval"),
    Column("x_EstimatedSavings", "double", False, "avoided hours x ListUnitPrice"),
    Column("x_PriceSource", "string", False, "where the price came from"),
    Column("x_Error", "string", False, "error text of a failed action"),
    Column("x_Detail", "string", False, "how the action was carried out"),
    Column(
        "x_Trigger", "string", False, "what asked for it: schedule, idle, maintenance or manual"
    ),
)

COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)


def column(name: str) -> Column:
    for item in COLUMNS:
        if item.name == name:
            return item
    raise KeyError(name)
