"""The tables as a person sees them: the console script on a real pseudo-terminal.

``pexpect`` gives the command a terminal of 80, 120 and 200 columns (the size is the
terminal's own, as ``stty size`` reports it, not a ``COLUMNS`` variable); stderr goes
to /dev/null so the progress line stays out of the picture. The output is compared with
the snapshots in ``snapshots/`` (moto's random instance ids are masked, at their own
length, so the layout is compared as it is). ``OFFHOURS_UPDATE_SNAPSHOTS=1`` rewrites
them; read the diff before committing one.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest
from e2e_kit import EVENING, SCRIPT, Cli, World

pexpect = pytest.importorskip("pexpect")

SNAPSHOTS = Path(__file__).parent / "snapshots"
_ID = re.compile(r"\bi-[0-9a-f]{6,17}")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def on_terminal(cli: Cli, columns: int, *args: str) -> str:
    """What ``offhours ARGS`` prints on a terminal ``columns`` wide, ids masked."""
    command = f"{shlex.quote(str(SCRIPT))} {shlex.join(args)} 2>/dev/null"
    child = pexpect.spawn(
        "/bin/sh",
        ["-c", command],
        env=cli.env(NO_COLOR="1", TERM="xterm"),
        dimensions=(60, columns),
        encoding="utf-8",
        timeout=120,
    )
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    text = _ANSI.sub("", child.before.replace("\r\n", "\n"))
    return _ID.sub(lambda m: "i-" + "x" * (len(m[0]) - 2), text)


def check(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("OFFHOURS_UPDATE_SNAPSHOTS") == "1" or not path.exists():
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("columns", [80, 120, 200])
def test_plan_fits_the_terminal_and_keeps_the_reason(
    world: World, cli: Cli, tmp_path: Path, columns: int
) -> None:
    ledger = str(tmp_path / "ledger")
    args = ("plan", "--region", "eu-west-1", "--ledger", ledger, "--at", EVENING)
    text = on_terminal(cli, columns, *args)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= columns
    assert lines[0].split() == ["KIND", "NAME", "STATE", "ACTION", "REASON"]
    assert "protected: environment=prod" in text  # the reason column survives at 80
    assert any(line.startswith("TOTAL") and "5 stop" in line for line in lines)
    check(f"plan-{columns}.txt", text)


@pytest.mark.parametrize("columns", [80, 120, 200])
def test_ledger_show_names_hours_and_savings_at_every_width(
    world: World, cli: Cli, tmp_path: Path, columns: int
) -> None:
    ledger = str(tmp_path / "ledger")
    ran = cli("run", "--region", "eu-west-1", "--ledger", ledger, "--at", EVENING)
    assert ran.returncode == 0, ran.stderr
    # A run that sees the boxes still off: the ledger claims the night up to it.
    seen = cli("run", "--region", "eu-west-1", "--ledger", ledger, "--at", "2026-11-24T07:00:00Z")
    assert seen.returncode == 0, seen.stderr
    text = on_terminal(
        cli,
        columns,
        "ledger",
        "show",
        "--ledger",
        ledger,
        "--from",
        "2026-11-23",
        "--to",
        "2026-11-24",
        "--accrue-to",
        "2026-11-24T08:00:00+00:00",
    )
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= columns
    assert lines[0].split()[:3] == ["PROVIDER", "KIND", "NAME"]
    assert "HOURS OFF" in lines[0] and "SAVED" in lines[0]
    total = next(line for line in lines if line.startswith("TOTAL"))
    assert "USD" in total
    check(f"ledger-show-{columns}.txt", text)


@pytest.mark.parametrize("command", ["run", "inventory"])
def test_run_and_inventory_read_well_at_80_columns(
    world: World, cli: Cli, tmp_path: Path, command: str
) -> None:
    ledger = str(tmp_path / "ledger")
    args = (command, "--region", "eu-west-1", "--ledger", ledger, "--at", EVENING)
    text = on_terminal(cli, 80, *args)
    lines = text.splitlines()
    # A ledger object's location is one word, printed whole (to copy it).
    assert max(len(line) for line in lines if not line.startswith("ledger: ")) <= 80
    assert "NAME" in lines[0] and "dev-a" in text and "TOTAL" in text
    # The run's summary names its ledger objects by their whole location (tmp paths vary).
    check(f"{command}-80.txt", re.sub(r"/\S*/ledger/", "…/ledger/", _RUN_ID.sub("RUN", text)))


_RUN_ID = re.compile(r"\b\d{8}T\d{6}Z-[0-9a-f]{8}\b")
