"""The fault suite: a clock that goes back, and prices no arithmetic survives.

The real ``offhours run`` against moto through a fault-injecting proxy.

Each scenario injects its fault, runs clean until Monday in office hours, and is held
to the five invariants of tests/faults/README.md.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from typing import Any

import kit
from kit import MONDAY, Box, assert_invariants, at, expect, judge
from scenario import END, STOP, close


# -- the clock -----------------------------------------------------------------------------
def test_clock_going_back_a_week(world: Any) -> None:
    """The Monday-morning event delivered stamped a week early (a replay, a skewed clock),
    between two runs in the present."""
    w = world()
    w.run(STOP)
    w.run(at(MONDAY, "07:30"))
    replay = w.run(at(MONDAY, "08:30") - timedelta(days=7), skewed=True)
    # At its own "now" (a Monday, 08:30) the fleet must be on, skew or not.
    replayed = kit.wrong_state(w, replay.at)
    present = [at(MONDAY, "09:00"), at(MONDAY, "09:30")]
    close(w, present)
    # What the replayed run did happened at 07:30, in the present: booking what followed
    # it or not is the product's choice; anything more or less is a lost or invented hour.
    assert_invariants(
        judge(w, present[-1], low=w.truth(skew=False)),
        {
            "report": expect("clock went back" in replay.text, "the skew was not reported"),
            "replayed run": replayed,
        },
    )


def test_clock_back_after_a_run_a_week_ahead(world: Any) -> None:
    """A run stamped a week ahead (a skewed host, a mistyped --at) while the fleet is off,
    then the present at the Monday-morning transition: the issue's fleet that stayed off
    all morning, because no transition came after the target's last run."""
    w = world()
    w.run(STOP)
    w.run(at(MONDAY, "07:30"))
    w.run(at(MONDAY, "07:30") + timedelta(days=7), skewed=True)
    back = w.run(at(MONDAY, "08:30"))
    off_in_office_hours = kit.wrong_state(w, back.at)
    close(w, [at(MONDAY, "09:00")])
    assert_invariants(
        judge(w, at(MONDAY, "09:00"), low=w.truth(skew=False)),
        {
            "report": expect("clock went back" in back.text, "the skew was not reported"),
            "Monday 08:30": off_in_office_hours,
        },
    )


# -- poisoned numbers ----------------------------------------------------------------------
def test_poisoned_hourly_cost(world: Any, tmp_path: Any) -> None:
    """A price no arithmetic survives (``inf``; ``1e308``, which overflows once multiplied)
    is a tag problem; the rest of the fleet is scheduled and every output stays finite."""
    poisoned = {
        f"poisoned-{price}": Box(
            f"poisoned-{price}", "t3.medium", {"schedule": "office-hours", "hourly-cost": price}
        )
        for price in ("inf", "1e308")
    }
    w = world(kit.fleet(extra=poisoned.values()))
    evening = w.run(STOP)
    close(w)
    ids = {box.name: i for i, box in w.boxes.items() if box.name in poisoned}
    lines = [
        ln for ln in evening.text.splitlines() if any(n in ln or i in ln for n, i in ids.items())
    ]
    try:
        reasons = [row["x_Reason"] for _, row in w.rows() if row["ResourceName"] in poisoned]
    except ValueError as err:
        reasons = [f"unreadable: {err}"]
    export = w.cli(
        "ledger", "export", "--from", "2026-11-27", "--to", "2026-11-30", "--format", "jsonl",
        "--ledger", w.ledger,
    )  # fmt: skip
    digest = w.cli(
        "digest", "--week", "2026-W48", "--preview", str(tmp_path / "d.html"),
        "--ledger", w.ledger, "--at", END.isoformat(),
    )  # fmt: skip
    non_finite = re.compile(r"\b(Infinity|NaN|inf|nan)\b")
    reported = {
        n for n, i in ids.items() for ln in lines if (n in ln or i in ln) and "hourly-cost" in ln
    }
    try:  # the tag's own value may say "inf": only numbers must be finite
        exported = [json.loads(ln, parse_constant=kit.reject) for ln in export.stdout.splitlines()]
    except ValueError as err:
        exported = [{"error": str(err)}]
    assert_invariants(
        judge(w, END),
        {
            "plan": expect(len(reported) == 2, f"not tag problems in the output: {lines}"),
            "ledger": expect(
                sum("hourly-cost" in reason for reason in reasons) >= 2,
                f"no tag problem rows: {reasons}",
            ),
            "export": expect(
                export.returncode == 0 and not any("error" in row for row in exported),
                f"export: exit {export.returncode}, {exported[-1:]}",
            ),
            "digest": expect(
                digest.returncode == 0 and not non_finite.search(digest.stdout),
                f"digest said: {digest.stdout.strip()[-200:]}{digest.stderr.strip()[-200:]}",
            ),
        },
    )


# -- names and tags anyone may set (issue 22) ----------------------------------------------
def test_names_and_tags_anyone_can_set(world: Any, tmp_path: Any) -> None:
    """A line break in a Name, spreadsheet formulas and Slack markup in tags, ``prod``
    spelled with a zero-width space, a Cyrillic ``о`` or fullwidth letters, an
    ``hourly-cost`` in Arabic-Indic digits: the look-alike prods are never touched, the
    odd price is a tag problem, everything else is scheduled and booked, and neither the
    text output nor the CSV export carries a forged line or a live formula."""
    office = {"schedule": "office-hours"}
    odd = [
        Box("x\r\nY: z", "t3.medium", {**office, "team": "<!channel>"}),
        Box('=HYPERLINK("https://evil.example","x")', "t3.large", {**office, "team": "=1+1"}),
        Box("zwsp-prod", "t3.small", {**office, "environment": "pro\u200bd"}),
        Box("cyrillic-prod", "t3.small", {**office, "environment": "pr\u043ed"}),
        Box("fullwidth-prod", "t3.small", {**office, "environment": "\uff50\uff52\uff4f\uff44"}),
        Box("arabic-price", "t3.small", {**office, "hourly-cost": "\u0661\u0662"}),
    ]
    w = world(kit.fleet(count=12, extra=odd))
    evening = w.run(STOP)
    close(w)
    export = w.cli(
        "ledger", "export", "--from", "2026-11-27", "--to", "2026-11-30", "--format", "csv",
        "--ledger", w.ledger,
    )  # fmt: skip
    cells = [c for row in csv.reader(io.StringIO(export.stdout, newline="")) for c in row]
    formulas = [c for c in cells if c.startswith(("=", "+", "@", "\t", "\r"))]
    forged = [ln for r in w.runs for ln in r.out.splitlines() if ln.lstrip().startswith("Y: z")]
    price_problem = [ln for ln in evening.text.splitlines() if "hourly-cost" in ln]
    assert_invariants(
        judge(w, END),
        {
            "exit": expect(evening.code == 0, f"exit {evening.code}: {evening.text[-300:]}"),
            "export": expect(export.returncode == 0 and not formulas, f"formulas: {formulas}"),
            "forged lines": forged,
            "price": expect(bool(price_problem), "the Arabic-Indic price was not reported"),
        },
    )
