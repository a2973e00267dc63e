"""Completion in the shells themselves: bash and zsh are driven on a pseudo-terminal
(TAB typed after a partial command line), fish through its own ``complete -C``. Each
shell sources the script ``offhours completion SHELL`` prints, and the candidates it
offers are checked. A shell that is not installed (``.ci/install-tools.sh`` installs
zsh and fish) is skipped with that reason."""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from functions.cli.completion import script, words
from functions.cli.main import build_parser

pexpect = pytest.importorskip("pexpect")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r")


def needs(shell: str) -> str:
    found = shutil.which(shell)
    if not found:
        pytest.skip(f"{shell} is not installed (.ci/install-tools.sh installs it)")
    return found


@pytest.fixture
def scripts(tmp_path: Path) -> dict[str, Path]:
    parser = build_parser()
    paths = {}
    for shell in ("bash", "zsh", "fish"):
        paths[shell] = tmp_path / f"offhours.{shell}"
        paths[shell].write_text(script(parser, shell), encoding="utf-8")
    return paths


def test_the_table_covers_every_command() -> None:
    table = words(build_parser())
    assert "ledger" in table["offhours"] and "--version" in table["offhours"]
    assert set(table["offhours ledger"]) >= {"show", "export", "verify"}
    assert set(table["offhours completion"]) >= {"bash", "zsh", "fish"}
    assert "--for" in table["offhours wake"] and "--mail-to" in table["offhours digest"]


def typed(shell: list[str], setup: list[str], line: str, tabs: int = 1) -> str:
    """What the shell shows after ``line`` and TAB(s), prompts and escapes stripped."""
    child = pexpect.spawn(shell[0], shell[1:], encoding="utf-8", timeout=20, dimensions=(40, 200))
    try:
        for command in setup:
            child.sendline(command)
        child.sendline('echo READ""Y')  # the echoed command line is not the marker
        child.expect("READY\r?\n")
        child.send(line + "\t" * tabs)
        with contextlib.suppress(pexpect.TIMEOUT):
            child.expect("\x00never\x00", timeout=3)  # collect what the TAB drew
        return _ANSI.sub(" ", child.before or "")
    finally:
        child.sendcontrol("c")
        child.close(force=True)


def test_bash_completes_at_the_top_level_and_below(scripts: dict[str, Path]) -> None:
    bash = needs("bash")
    setup = ["PS1='$ '", "bind 'set bell-style none'", f"source {scripts['bash']}"]
    start = [bash, "--norc", "--noprofile", "-i"]
    assert "offhours ledger " in typed(start, setup, "offhours led")
    listed = typed(start, setup, "offhours ledger ", tabs=2)
    assert {"export", "show", "verify"} <= set(listed.split())
    assert "bad array subscript" not in listed


def test_bash_function_offers_flags_without_errors(scripts: dict[str, Path]) -> None:
    needs("bash")
    probe = (
        f"set -u; source {scripts['bash']}; "
        'COMP_WORDS=(offhours ledger show --w); COMP_CWORD=3; _offhours; echo "${COMPREPLY[@]}"'
    )
    done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["--week", "--wide"] and done.stderr == ""


def test_zsh_completes_at_the_top_level_and_below(scripts: dict[str, Path]) -> None:
    zsh = needs("zsh")
    setup = ["PS1='$ '", "unsetopt beep", f"source {scripts['zsh']}"]
    start = [zsh, "-f", "-i"]
    assert "offhours ledger " in typed(start, setup, "offhours led")
    listed = typed(start, setup, "offhours ledger ", tabs=2)
    assert {"export", "show", "verify"} <= set(listed.split())


def test_fish_offers_the_candidates(scripts: dict[str, Path]) -> None:
    fish = needs("fish")

    def offered(line: str) -> set[str]:
        probe = f"source {scripts['fish']}; complete -C '{line}'"
        done = subprocess.run([fish, "-c", probe], capture_output=True, text=True, check=True)
        return {row.split("\t")[0] for row in done.stdout.splitlines()}

    assert offered("offhours led") == {"ledger"}
    assert {"export", "show", "verify"} <= offered("offhours ledger ")
    assert {"bash", "zsh", "fish"} <= offered("offhours completion ")
    assert "--mail-from" in offered("offhours digest --mail")
