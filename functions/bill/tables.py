"""The bill commands' tables for people: plain text, one line that says the verdict."""

from __future__ import annotations

from collections.abc import Sequence

from functions.bill.check import BillCheck
from functions.bill.opportunities import Opportunities

NAME_WIDTH = 48


def _cut(text: str, width: int = NAME_WIDTH) -> str:
    return text if len(text) <= width else "…" + text[-(width - 1) :]


def _money(value: float) -> str:
    return f"${value:,.2f}"


def check_table(result: BillCheck) -> str:
    data = result.to_json()
    window, totals = data["window"], data["totals"]
    lines = [f"Bill check {window['start']} .. {window['end']}"]
    claimed, confirmed = totals["claimed"], totals["confirmed"]
    share = f"{confirmed / claimed:.0%}" if claimed else "n/a"
    lines.append(
        f"The bill confirms {_money(confirmed)} of {_money(claimed)} claimed ({share}); "
        f"net savings {_money(totals['net_savings'])}, "
        f"billed while off {_money(totals['billed_while_off'])}."
    )
    if not result.covered:
        lines.append(
            f"The bill covers {window['bill_start'] or '-'} .. {window['bill_end'] or '-'}: "
            "not the whole window, so claims outside it cannot be confirmed."
        )
    if result.provisional:
        lines.append(
            "The bill is still provisional (its billing period is open): figures may change."
        )
    header = ("CLOUD", "RESOURCE", "STATUS", "CLAIMED", "BILLED OFF", "NET")
    rows = [
        (
            r.provider,
            _cut(r.name if r.name and r.name != r.resource_id else r.resource_id),
            r.status,
            _money(r.claimed),
            _money(r.billed_while_off),
            _money(r.net_savings),
        )
        for r in result.resources
    ]
    lines += ["", *_grid(header, rows)]
    apart = [r for r in result.resources if r.other_while_off > 0]
    if apart:
        lines.append("")
        lines.append("Billed while off, not compute (disks, addresses, transfer; never claimed):")
        lines += [f"  {_cut(r.resource_id)}  {_money(r.other_while_off)}" for r in apart]
    return "\n".join(lines) + "\n"


def opportunities_table(found: Opportunities) -> str:
    lines = [
        f"{len(found.found)} non-production or untagged resources billed around the clock; "
        f"{found.schedule} keeps them off {found.off_share:.0%} of the week: "
        f"{_money(sum(o.monthly_savings for o in found.found))} a month."
    ]
    rows = [
        (
            _cut(o.resource_id),
            o.kind,
            _money(o.monthly_cost),
            _money(o.monthly_savings),
            o.reason,
        )
        for o in found.found
    ]
    if rows:
        lines += ["", *_grid(("RESOURCE", "KIND", "MONTHLY", "SAVES", "WHY"), rows)]
    lines.append("")
    lines.append("Top resource types by cost:")
    lines += [f"  {name}  {_money(cost)}" for name, cost in found.top_types] or ["  (none)"]
    lines.append(f"Untagged spend: {_money(found.untagged_cost)} of {_money(found.total_cost)}.")
    return "\n".join(lines) + "\n"


def _grid(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
        for r in [header, *rows]
    ]
