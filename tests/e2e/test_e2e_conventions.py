"""Items 6 and 7: the conventions scripts and people expect, and a readable plan."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_kit import EVENING, REGION, SCRIPT, Cli, World

SGR = re.compile(r"\x1b\[[0-9;]*m")


def test_version(cli: Cli) -> None:
    proc = cli("--version")
    assert proc.returncode == 0
    assert re.fullmatch(r"offhours \d+\.\d+\.\d+\S*\n", proc.stdout)


def test_plan_as_json_csv_and_a_table_for_pipes(cli: Cli, world: World, tmp_path: Path) -> None:
    base = ("plan", "--region", REGION, "--ledger", str(tmp_path / "l"), "--at", EVENING, "-v")
    doc = json.loads(cli(*base, "--output", "json").stdout)
    assert doc["schema"] == "offhours.plan/v1"
    by_name = {d["name"]: d for d in doc["decisions"]}
    assert by_name["dev-a"]["action"] == "stop" and by_name["dev-a"]["outcome"] == "dry-run"
    assert by_name["long-tag"]["problem"] is True
    assert "valid" in by_name["long-tag"]["reason"].lower() or "\n" in by_name["long-tag"]["reason"]
    rows = list(csv.DictReader(io.StringIO(cli(*base, "-o", "csv").stdout)))
    assert {r["name"] for r in rows} == set(by_name)
    table = cli(*base)
    assert table.returncode == 0 and table.stderr == ""  # no progress line off a terminal
    assert not SGR.search(table.stdout)  # no colour into a pipe
    lines = table.stdout.splitlines()
    # By name; the target and the id are in --wide.
    assert lines[0].split() == ["KIND", "NAME", "STATE", "ACTION", "REASON"]
    wide = cli(*base, "--wide").stdout.splitlines()
    assert wide[0].split() == ["TARGET", "RESOURCE", "KIND", "NAME", "STATE", "ACTION", "REASON"]
    long_line = next(line for line in lines if " long-tag " in line)
    # Item 7: one short sentence; the parser's explanation is left to explain and JSON.
    assert "…" in long_line and "offhours explain" in long_line
    assert len(long_line) < 200


def test_explain_keeps_the_full_reason_and_has_json(cli: Cli, world: World, tmp_path: Path) -> None:
    base = (
        "explain",
        "long-tag",
        "--region",
        REGION,
        "--ledger",
        str(tmp_path / "l"),
        "--at",
        EVENING,
    )
    text = cli(*base)
    assert text.returncode == 0, text.stderr
    assert "mon-fry 09:00-17:00 Europe/London with a very long tail of words" in text.stdout
    doc = json.loads(cli(*base, "-o", "json").stdout)
    assert doc["schema"] == "offhours.explain/v1" and doc["problem"] is True


def test_schedule_state_and_next_default_to_now(cli: Cli) -> None:
    assert cli("schedule", "state", "always-on").stdout == "running\n"
    nxt = cli("schedule", "next", "office-hours")
    assert nxt.returncode == 0 and re.match(r"\d{4}-\d\d-\d\dT", nxt.stdout)


def test_help_has_an_example_and_completion_knows_the_commands(cli: Cli) -> None:
    for command in (("plan",), ("wake",), ("ledger", "show"), ("schedule", "next")):
        assert "example: offhours " in cli(*command, "--help").stdout
    script = cli("completion", "bash").stdout
    assert "complete -F _offhours offhours" in script
    assert '["offhours ledger"]="--help export show sql verify"' in script
    checked = subprocess.run(["bash", "-n"], input=script, text=True, check=False)
    assert checked.returncode == 0


def _on_a_terminal(cli: Cli, args: tuple[str, ...], **env: str) -> str:
    """Run with stdout and stderr on a pseudo-terminal; return what was shown."""
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [str(SCRIPT), *args], stdout=terminal, stderr=terminal, env=cli.env(**env)
    )
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    proc.wait(timeout=60)
    os.close(controller)
    return shown.decode(errors="replace")


def test_colour_on_a_terminal_only_and_never_with_no_color(
    cli: Cli, world: World, tmp_path: Path
) -> None:
    args = ("plan", "--region", REGION, "--ledger", str(tmp_path / "l"), "--at", EVENING)
    assert SGR.search(_on_a_terminal(cli, args, TERM="xterm-256color"))
    assert not SGR.search(_on_a_terminal(cli, args, TERM="xterm-256color", NO_COLOR="1"))


def test_the_lambda_handler_never_imports_the_display_library() -> None:
    code = "import sys, functions.clouds.aws_lambda; print('rich' in sys.modules)"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert proc.stdout.strip() == "False"


@pytest.mark.parametrize("share", ["0", "nan"])
def test_a_share_of_nothing_is_refused(cli: Cli, tmp_path: Path, share: str) -> None:
    proc = cli("plan", "--max-stop-share", share, "--ledger", str(tmp_path / "l"))
    assert proc.returncode == 2 and "max_stop_share" in proc.stderr
