"""Read rows of every schema version as the current one.

Each row carries ``x_SchemaVersion``. ``upgrade(row)`` applies one step per version until
the row is current; a row newer than this code knows raises, because reporting savings
from columns we do not understand would be a guess.

Versions:

* ``v0``: the pre-release shape, used only by development builds before the ledger took
  FOCUS names, and never written by a release. It has no ``x_SchemaVersion`` key; its keys
  are ``at``, ``provider``, ``account``, ``region``, ``kind``, ``resource``, ``name``,
  ``action``, ``outcome``, ``reason``, ``schedule``, ``off_from``, ``off_to``, ``price``,
  ``currency``, ``tags``. It is kept as the test case of the upgrade path.
* ``v1``: the current layout (``ledger/schema.py``, ``docs/ledger.md``). Rows written
  before ``x_Kind`` existed held offhours' kind in ``ResourceType`` and the API id in
  ``ResourceId``; they are read with ``x_Kind``/``x_ApiResourceId`` taken from those, and,
  when the caller passes a ``BillIdRule`` (``functions/`` does: ``ledger/`` knows no
  cloud), with ``ResourceId``/``ResourceType`` in the bill's form.
  before ``x_KeptRunningHours``/``x_KeptRunningCost`` existed carried a snooze's
  kept-running hours and cost in ``x_AvoidedHours``/``x_EstimatedSavings``: the upgrade
  moves them to their own columns, so a savings column only ever holds savings. Rows
  written before ``x_PeriodId`` get the id their period would have had.

Additive changes (a new column) stay within a version: readers fill a missing column with
its empty value. A change that renames, retypes or drops a column is a new version, with a
new step here and a new prefix (``ledger/v2/``) so SQL tables over ``ledger/v1/`` keep
working.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from ledger.record import (
    SCHEMA_VERSION,
    SNOOZE_ACTION,
    STILL_OFF_ACTION,
    avoided_hours,
    parse_iso,
    period_id,
)
from ledger.schema import COLUMNS

_EMPTY: dict[str, Any] = {"string": "", "double": None, "timestamp": "", "map": {}}


# (provider, account, region, kind, api id) -> (the bill's ResourceId, FOCUS ResourceType)
BillIdRule = Callable[[str, str, str, str, str], tuple[str, str]]


class LedgerVersionError(ValueError):
    """A row was written by a newer offhours than this one."""


def version_of(row: Mapping[str, Any]) -> str:
    return str(row.get("x_SchemaVersion") or "v0")


def _v0_to_v1(row: Mapping[str, Any]) -> dict[str, Any]:
    start = row.get("off_from") or row["at"]
    end = row.get("off_to") or start
    hours = round(avoided_hours(parse_iso(start), parse_iso(end)), 6)
    price = row.get("price")
    return {
        "ChargePeriodStart": start,
        "ChargePeriodEnd": end,
        "ProviderName": row["provider"],
        "SubAccountId": row["account"],
        "RegionId": row.get("region", ""),
        "ResourceId": row["resource"],
        "ResourceName": row.get("name") or row["resource"],
        "ResourceType": row["kind"],
        "ServiceName": "",
        "ListUnitPrice": price,
        "PricingUnit": "Hours",
        "BillingCurrency": row.get("currency", "USD"),
        "Tags": dict(row.get("tags") or {}),
        "x_SchemaVersion": "v1",
        "x_RunId": "",
        "x_RecordedAt": row["at"],
        "x_Action": row["action"],
        "x_Outcome": row.get("outcome", "done"),
        "x_Reason": row.get("reason", ""),
        "x_Schedule": row.get("schedule", ""),
        "x_ResourceSize": "",
        "x_AvoidedHours": hours,
        "x_EstimatedSavings": None if price is None else round(hours * float(price), 6),
        "x_PriceSource": "v0" if price is not None else "unknown",
        "x_Error": "",
        "x_Detail": "upgraded from the v0 pre-release layout",
    }


# version -> step to the next version
_STEPS: dict[str, tuple[str, Callable[[Mapping[str, Any]], dict[str, Any]]]] = {
    "v0": ("v1", _v0_to_v1),
}


def _bill_ids(row: dict[str, Any], rule: BillIdRule | None) -> None:
    """A v1 row written before ``x_Kind``: its kind and API id move to their columns."""
    kind, api_id = str(row.get("ResourceType") or ""), str(row.get("ResourceId") or "")
    row["x_Kind"], row["x_ApiResourceId"] = kind, api_id
    if rule is not None:
        account, region = str(row.get("SubAccountId", "")), str(row.get("RegionId") or "")
        found = rule(str(row.get("ProviderName", "")), account, region, kind, api_id)
        row["ResourceId"], row["ResourceType"] = found


def upgrade(row: Mapping[str, Any], ids: BillIdRule | None = None) -> dict[str, Any]:
    """The row in the current layout (a new dict; the input is not changed). ``ids``
    names older rows' resources as the bill does (see the module's docstring)."""
    current = dict(row)
    version = version_of(current)
    while version != SCHEMA_VERSION:
        if version not in _STEPS:
            raise LedgerVersionError(
                f"ledger row has schema {version}; this offhours reads up to "
                f"{SCHEMA_VERSION}: upgrade offhours to read this ledger"
            )
        version, step = _STEPS[version]
        current = step(current)
    if "x_KeptRunningHours" not in current:
        _split_kept_running(current)
    if "x_PeriodId" not in current:
        current["x_PeriodId"] = _old_period_id(current)
    if "x_Kind" not in current:
        _bill_ids(current, ids)
    for col in COLUMNS:
        if col.name not in current:
            current[col.name] = {} if col.type == "map" else _EMPTY[col.type]
    return current


def _split_kept_running(row: dict[str, Any]) -> None:
    """A snooze row of an older build: its hours ran, so they leave the savings columns."""
    if row.get("x_Action") != SNOOZE_ACTION:
        row["x_KeptRunningHours"] = 0.0
        row["x_KeptRunningCost"] = None if row.get("x_EstimatedSavings") is None else 0.0
        return
    row["x_KeptRunningHours"] = row.get("x_AvoidedHours") or 0.0
    row["x_KeptRunningCost"] = row.get("x_EstimatedSavings")
    row["x_AvoidedHours"] = 0.0
    row["x_EstimatedSavings"] = None if row.get("x_EstimatedSavings") is None else 0.0


_PERIOD_ACTIONS = frozenset({"stop", "start", "scale-down", "scale-up", STILL_OFF_ACTION})


def _old_period_id(row: Mapping[str, Any]) -> str:
    """Rows that open or book an off-period get the id the current code would give it."""
    action, outcome = row.get("x_Action"), row.get("x_Outcome")
    if action not in _PERIOD_ACTIONS or outcome not in ("done", "observed", "open"):
        return ""
    if action in ("start", "scale-up") and row["ChargePeriodStart"] == row["ChargePeriodEnd"]:
        return ""  # a start that booked no period
    return period_id(
        str(row["ProviderName"]),
        str(row["SubAccountId"]),
        # offhours' kind and API id: older rows held them in ResourceType and ResourceId
        str(row.get("x_Kind") or row["ResourceType"]),
        str(row.get("x_ApiResourceId") or row["ResourceId"]),
        parse_iso(str(row["ChargePeriodStart"])),
    )


def upgraded(
    rows: Iterable[Mapping[str, Any]], ids: BillIdRule | None = None
) -> Iterator[dict[str, Any]]:
    for row in rows:
        # Fast path: current rows with every column are passed through as they are.
        if row.get("x_SchemaVersion") == SCHEMA_VERSION and len(row) >= len(COLUMNS):
            yield row if isinstance(row, dict) else dict(row)
        else:
            yield upgrade(row, ids)
