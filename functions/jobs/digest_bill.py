"""The digest's line about the bill: how much of the ledger's claim the cloud's own cost
export confirms (``offhours bill check``, docs/bill.md).

With a bill location configured (``OFFHOURS_BILL`` / ``OFFHOURS_DIGEST_BILL``) the weekly
job runs the check for the digest's window when DuckDB is installed and keeps the result
in the ledger's store (``bill/v1/last-check.json``); without DuckDB (a cloud function's
package) it shows the last check saved there, by ``offhours bill check --save``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from providers.store import ObjectStore, StoreError

log = logging.getLogger("offhours.digest")


def bill_line(
    store: ObjectStore, bill: str, start: datetime, end: datetime, endpoint_url: str = ""
) -> str:
    """One sentence for the digest, or "" when no bill is configured or none was checked."""
    if not bill:
        return ""
    from functions.bill.run import last_check
    from functions.bill.source import BillSourceError

    try:
        result = _checked(store, bill, start, end, endpoint_url)
    except (BillSourceError, StoreError) as err:
        log.warning("bill check for the digest failed: %s", err)
        result = None
    if result is None:
        try:
            result = last_check(store)
        except StoreError:
            result = None
    return "" if result is None else sentence(result)


def _checked(
    store: ObjectStore, bill: str, start: datetime, end: datetime, endpoint_url: str
) -> dict[str, Any] | None:
    from functions.bill.run import check_bill, save_check

    try:
        import duckdb  # noqa: F401
    except ModuleNotFoundError:
        return None
    result = check_bill(store, bill, start, end, endpoint_url)
    try:
        save_check(store, result)
    except StoreError as err:
        log.warning("bill check not kept in the ledger's store: %s", err)
    return result.to_json()


def sentence(result: Mapping[str, Any]) -> str:
    totals, window = result["totals"], result["window"]
    claimed, confirmed = float(totals["claimed"]), float(totals["confirmed"])
    share = f" ({confirmed / claimed:.0%})" if claimed else ""
    text = (
        f"The bill confirms ${confirmed:,.2f} of ${claimed:,.2f} claimed{share} "
        f"for {str(window['start'])[:10]} to {str(window['end'])[:10]}"
    )
    if float(totals.get("billed_while_off") or 0):
        text += f"; ${float(totals['billed_while_off']):,.2f} billed while off"
    if not window.get("covered", True):
        text += "; the bill does not cover the whole window yet"
    if window.get("provisional"):
        text += "; the bill is still provisional"
    return text + "."
