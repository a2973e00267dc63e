"""Item 3: no silent wrong answers; item 5: one number for one week."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from e2e_kit import EVENING, REGION, Cli, World, one_line_error, tree


@pytest.mark.parametrize(
    "args",
    [
        ("ledger", "show", "--week", "2026-W48"),
        ("ledger", "export", "--week", "2026-W48"),
        ("digest", "--week", "2026-W48", "--send"),
    ],
)
def test_a_location_without_a_ledger_is_refused(
    cli: Cli, tmp_path: Path, args: tuple[str, ...]
) -> None:
    typo = tmp_path / "offhours-ledgr"
    proc = cli(*args, "--ledger", str(typo))
    assert proc.returncode == 2
    assert "no ledger at" in one_line_error(proc)
    assert not typo.exists()


def test_the_stop_brake_is_loud_and_fails_the_run(cli: Cli, world: World, tmp_path: Path) -> None:
    before = world.states()
    proc = cli(
        "run",
        "--region",
        REGION,
        "--kinds",
        "ec2",
        "--max-stop-share",
        "0.1",
        "--ledger",
        str(tmp_path / "ledger"),
        "--at",
        EVENING,
    )
    assert proc.returncode == 3
    assert "REFUSED 3 stop(s)" in one_line_error(proc)
    assert "3 stop(s) refused" in proc.stdout
    assert world.states() == before


def _total(text: str) -> str:
    match = re.search(r"saved ([\d,]+\.\d\d)", text)
    assert match, text
    return match[1]


def test_ledger_show_matches_the_digest_to_the_cent(cli: Cli, world: World, tmp_path: Path) -> None:
    ledger = str(tmp_path / "ledger")
    # The last run sees the boxes still off at 06:00: the ledger claims the night up to it.
    runs = (EVENING, "2026-11-24T09:00:00+00:00", "2026-11-24T20:00:00+00:00", "2026-11-25T06:00Z")
    for at in runs:
        proc = cli("run", "--region", REGION, "--kinds", "ec2", "--ledger", ledger, "--at", at)
        assert proc.returncode == 0, proc.stderr
    accrue = "2026-11-25T06:00:00+00:00"
    window = ("--week", "2026-W48", "--ledger", ledger)
    show = cli("ledger", "show", *window, "--accrue-to", accrue)
    digest = cli("digest", *window, "--at", accrue, "--preview", str(tmp_path / "d.html"))
    assert show.returncode == 0 and digest.returncode == 0, show.stderr + digest.stderr
    assert _total(show.stdout) == _total(digest.stdout)
    assert show.stdout.splitlines()[0].split()[:3] == ["PROVIDER", "KIND", "NAME"]
    shown = json.loads(cli("ledger", "show", *window, "--accrue-to", accrue, "-o", "json").stdout)
    assert f"{shown['total']['saved']:,.2f}" == _total(digest.stdout)
    accruing = [r["accrued_hours"] for r in shown["resources"] if r["accrued_hours"]]
    assert accruing and accruing == pytest.approx([10.0] * len(accruing))  # Tue 20:00 on
    exported = cli("ledger", "export", *window).stdout
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert rows and {"ChargePeriodStart", "x_EstimatedSavings"} <= set(rows[0])
    assert {r["x_Action"] for r in rows} >= {"stop", "start"}
    assert tree(Path(ledger))  # read, never rewritten by the readers
