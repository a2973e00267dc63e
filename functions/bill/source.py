"""A FOCUS cost export, wherever it is, as one normalised DuckDB table ``bill``.

Accepted: FOCUS 1.0 to 1.2 (and the 1.3 names), as CSV, CSV.gz or Parquet; one file, a
folder of them, or an object-store prefix (``s3://``, ``gs://``, ``azblob://``) read
through offhours' own store clients into a temporary folder (DuckDB's httpfs is not
available to offhours). Column names are matched ignoring case and underscores, so the
exports' spellings (``ChargePeriodStart``, ``chargeperiodstart``) read alike. ``NULL``
literals (the FinOps Foundation sample) are nulls.

Columns of ``bill``: provider (aws | gcp | azure | the export's own name), rid (the
resource id, lowercased: Azure cost exports do not keep its case), resource_id,
resource_name, resource_type, service, category, charge_category, start_s/end_s (epoch
seconds), billed, effective, list_cost, quantity, unit, pricing_unit, commitment, tags
(JSON text), sub_account, billing_period_end_s, invoiced (false when an ``InvoiceId``
column exists and is empty).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

_SUFFIXES = (".csv", ".csv.gz", ".parquet")

# canonical column -> accepted spellings (compared lowercased, without underscores);
# FOCUS 1.3 deprecates ProviderName for ServiceProviderName.
_NAMES: dict[str, tuple[str, ...]] = {
    "ProviderName": ("providername", "serviceprovidername"),
    "ResourceId": ("resourceid",),
    "ResourceName": ("resourcename",),
    "ResourceType": ("resourcetype",),
    "ServiceName": ("servicename",),
    "ServiceCategory": ("servicecategory",),
    "ChargeCategory": ("chargecategory",),
    "ChargePeriodStart": ("chargeperiodstart",),
    "ChargePeriodEnd": ("chargeperiodend",),
    "BilledCost": ("billedcost",),
    "EffectiveCost": ("effectivecost",),
    "ListCost": ("listcost",),
    "ConsumedQuantity": ("consumedquantity",),
    "ConsumedUnit": ("consumedunit",),
    "PricingUnit": ("pricingunit",),
    "CommitmentDiscountId": ("commitmentdiscountid",),
    "Tags": ("tags",),
    "SubAccountId": ("subaccountid",),
    "BillingPeriodEnd": ("billingperiodend",),
    "InvoiceId": ("invoiceid",),
}

# The export's provider name -> offhours' cloud.
_PROVIDERS = {
    "aws": "aws",
    "amazon web services": "aws",
    "microsoft": "azure",
    "azure": "azure",
    "microsoft azure": "azure",
    "google cloud": "gcp",
    "google": "gcp",
    "gcp": "gcp",
}


class BillSourceError(ValueError):
    """The export cannot be read: no file, an unknown format, a missing column."""


def files_in(path: Path) -> list[Path]:
    """The export files of a file or a folder (recursively), in name order."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise BillSourceError(f"no cost export at {path}")
    found = sorted(p for p in path.rglob("*") if p.is_file() and p.name.endswith(_SUFFIXES))
    if not found:
        raise BillSourceError(f"no CSV, CSV.gz or Parquet file under {path}")
    return found


@contextmanager
def local_copy(location: str, endpoint_url: str = "") -> Iterator[Path]:
    """A local path holding the export: the path itself, or an object-store prefix
    copied to a temporary folder for as long as the context lasts."""
    scheme = location.split("://", 1)[0] if "://" in location else ""
    if not scheme:
        yield Path(location)
        return
    from providers import STORES, load

    if scheme not in STORES:
        raise BillSourceError(f"{location}: unknown scheme {scheme}:// (s3, gs or azblob)")
    store = load(STORES[scheme])(location.rstrip("/"), endpoint_url=endpoint_url)
    with tempfile.TemporaryDirectory(prefix="offhours-bill-") as tmp:
        for key in store.list(""):
            if key.endswith(_SUFFIXES):
                data = store.get(key)
                if data is not None:
                    target = Path(tmp) / key
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
        yield Path(tmp)


def load(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Create the table ``bill`` from the export at ``path``; return its row count."""
    con.execute("SET TimeZone='UTC'").fetchall()
    # Row order means nothing here; not keeping it lets DuckDB stream the export in less memory.
    con.execute("SET preserve_insertion_order=false").fetchall()
    files = files_in(path)
    csvs = [str(f) for f in files if not f.name.endswith(".parquet")]
    parquets = [str(f) for f in files if f.name.endswith(".parquet")]
    parts = []
    if csvs:
        parts.append(
            f"SELECT * FROM read_csv({csvs!r}, union_by_name=true, nullstr='NULL', "
            "all_varchar=true, header=true)"
        )
    if parquets:
        parts.append(f"SELECT * FROM read_parquet({parquets!r}, union_by_name=true)")
    view = "CREATE OR REPLACE TEMP VIEW raw_bill AS " + " UNION ALL BY NAME ".join(parts)
    con.execute(view).fetchall()
    columns = {name: kind for name, kind, *_ in con.execute("DESCRIBE raw_bill").fetchall()}
    con.execute("CREATE OR REPLACE TEMP TABLE bill AS " + _normalised(columns)).fetchall()
    return int(query(con, "SELECT count(*) FROM bill")[0][0])


def query(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[Any]:
    """Every row of one statement (DuckDB wants each result read to its end)."""
    return con.execute(sql, params or []).fetchall()


def _pick(columns: dict[str, str]) -> dict[str, tuple[str, str]]:
    folded = {re.sub(r"[_\s]", "", name.lower()): name for name in columns}
    found: dict[str, tuple[str, str]] = {}
    for canonical, spellings in _NAMES.items():
        for spelling in spellings:
            if spelling in folded:
                name = folded[spelling]
                found[canonical] = (f'"{name}"', columns[name])
                break
    missing = [c for c in ("ResourceId", "ChargePeriodStart", "ChargePeriodEnd") if c not in found]
    if missing or not ({"EffectiveCost", "BilledCost"} & set(found)):
        need = missing or ["EffectiveCost or BilledCost"]
        raise BillSourceError(f"not a FOCUS export: no {', '.join(need)} column")
    return found


def _normalised(columns: dict[str, str]) -> str:
    cols = _pick(columns)

    def text(name: str) -> str:
        return f"CAST({cols[name][0]} AS VARCHAR)" if name in cols else "NULL::VARCHAR"

    def number(name: str) -> str:
        return f"TRY_CAST({cols[name][0]} AS DOUBLE)" if name in cols else "NULL::DOUBLE"

    def epoch(name: str) -> str:
        return f"epoch(TRY_CAST({cols[name][0]} AS TIMESTAMPTZ))" if name in cols else "NULL"

    provider_case = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in _PROVIDERS.items())
    tags = cols.get("Tags")
    tags_sql = (
        "NULL::VARCHAR"
        if tags is None
        else (f"to_json({tags[0]})::VARCHAR" if "MAP" in tags[1].upper() else text("Tags"))
    )
    effective, billed = number("EffectiveCost"), number("BilledCost")
    return f"""
        SELECT
          CASE lower(trim({text("ProviderName")})) {provider_case}
            ELSE lower(coalesce({text("ProviderName")}, '')) END AS provider,
          lower({text("ResourceId")}) AS rid,
          {text("ResourceId")} AS resource_id,
          {text("ResourceName")} AS resource_name,
          {text("ResourceType")} AS resource_type,
          {text("ServiceName")} AS service,
          {text("ServiceCategory")} AS category,
          {text("ChargeCategory")} AS charge_category,
          {epoch("ChargePeriodStart")} AS start_s,
          {epoch("ChargePeriodEnd")} AS end_s,
          coalesce({billed}, 0) AS billed,
          coalesce({effective}, {billed}, 0) AS effective,
          coalesce({number("ListCost")}, 0) AS list_cost,
          {number("ConsumedQuantity")} AS quantity,
          lower(coalesce({text("ConsumedUnit")}, '')) AS unit,
          lower(coalesce({text("PricingUnit")}, '')) AS pricing_unit,
          {text("CommitmentDiscountId")} AS commitment,
          {tags_sql} AS tags,
          {text("SubAccountId")} AS sub_account,
          {epoch("BillingPeriodEnd")} AS billing_period_end_s,
          {"(" + text("InvoiceId") + " IS NOT NULL)" if "InvoiceId" in cols else "NULL::BOOLEAN"}
            AS invoiced
        FROM raw_bill
        WHERE {text("ResourceId")} IS NOT NULL
    """
