"""Every ``offhours …`` command the README and ``docs/`` show exists: each one is run
with ``--help`` through the real parser (exit 0), so a renamed or misspelt command in
the documentation fails here."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from functions.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "schedules/README.md"]
# A command in a code block (``$ `` allowed), or in inline code.
_BLOCK_LINE = re.compile(r"^\s*(?:\$\s+)?(offhours\s[^#|>]*)")
_INLINE = re.compile(r"`(offhours\s[^`]*)`")
_SHELLS = frozenset({"sh", "bash", "shell", "console"})


def documented() -> list[tuple[str, str]]:
    found: dict[str, str] = {}
    for page in PAGES:
        fence = ""  # the open code block's language; "" outside one
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
            if line.lstrip().startswith("```"):
                fence = "" if fence else (line.strip().strip("`") or "text")
                continue
            if fence:  # shell blocks only: a notice's text may begin with "offhours"
                matches = [_BLOCK_LINE.match(line)] if fence in _SHELLS else []
            else:
                matches = list(_INLINE.finditer(line))
            for match in (m for m in matches if m):
                command = match.group(1).split("|")[0].strip().rstrip("\\").strip()
                where = f"{page.relative_to(ROOT)}:{number}"
                found.setdefault(command, where + (" (shell)" if fence else ""))
    return sorted(found.items())


def words(command: str) -> list[str]:
    """The command's words up to its first flag or placeholder (``offhours ledger show``)."""
    try:
        tokens = shlex.split(command)[1:]
    except ValueError:
        tokens = command.split()[1:]
    kept: list[str] = []
    for token in tokens:
        if token.startswith("-") or not re.fullmatch(r"[a-z][a-z0-9-]*", token):
            break
        kept.append(token)
    return kept


COMMANDS = documented()
SHELL_LINES = [(c, w) for c, w in COMMANDS if w.endswith("(shell)")]


def test_the_pages_show_commands() -> None:
    assert len(COMMANDS) >= 15 and len(SHELL_LINES) >= 10


@pytest.mark.parametrize(("command", "where"), COMMANDS, ids=[c for c, _ in COMMANDS])
def test_each_documented_command_exists(
    command: str, where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main([*words(command), "--help"])
    assert done.value.code == 0, f"{where}: {command!r}: {capsys.readouterr().err.strip()}"


@pytest.mark.parametrize(("command", "where"), SHELL_LINES, ids=[c for c, _ in SHELL_LINES])
def test_each_documented_command_line_parses(
    command: str, where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A shell block's line whole, flags and values too, is accepted by the parser (not
    run); inline mentions (``offhours explain``) name a command only."""
    from functions.cli.main import build_parser

    try:
        build_parser().parse_args(shlex.split(command)[1:])
    except SystemExit as err:
        pytest.fail(f"{where}: {command!r}: {capsys.readouterr().err.strip()} ({err.code})")
