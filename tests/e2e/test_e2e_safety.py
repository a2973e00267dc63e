"""Item 1: commands do only what they say; a usage error changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e_kit import EVENING, REGION, Cli, World, one_line_error, tree


def test_wake_of_an_unknown_resource_changes_nothing(
    cli: Cli, world: World, tmp_path: Path
) -> None:
    before = world.states()
    ledger = tmp_path / "ledger"
    proc = cli(
        "wake", "i-doesnotexist", "--region", REGION, "--ledger", str(ledger), "--at", EVENING
    )
    assert proc.returncode == 2
    assert "i-doesnotexist" in one_line_error(proc)
    assert world.states() == before
    assert tree(ledger) == []


def test_wake_starts_only_the_named_resource(cli: Cli, world: World, tmp_path: Path) -> None:
    before = world.states()
    ledger = tmp_path / "ledger"
    proc = cli("wake", "asleep", "--region", REGION, "--ledger", str(ledger), "--at", EVENING)
    assert proc.returncode == 0, proc.stderr
    after = world.states()
    assert after.pop("ec2:asleep") == "running"
    before.pop("ec2:asleep")
    assert after == before  # the running dev boxes, databases and group are untouched
    assert "asleep" in proc.stdout or world.ids["asleep"] in proc.stdout


@pytest.mark.parametrize("command", ["plan", "explain"])
def test_plan_and_explain_change_nothing_and_write_nothing(
    cli: Cli, world: World, tmp_path: Path, command: str
) -> None:
    before = world.states()
    ledger = tmp_path / "ledger"
    args = ["explain", "dev-a"] if command == "explain" else ["plan"]
    proc = cli(*args, "--region", REGION, "--ledger", str(ledger), "--at", EVENING)
    assert proc.returncode == 0, proc.stderr
    assert "stop" in proc.stdout
    assert world.states() == before
    assert not ledger.exists()


@pytest.mark.parametrize(
    "args",
    [
        ("run", "--at", "2026-11-23T20:00:00"),
        ("run", "--protected", "environment"),
        ("run", "--max-stop-share", "-1"),
        ("run", "--batch-size", "0"),
        ("run", "--grace-minutes", "-30"),
        ("run", "--region", "eu-mars-1"),
        ("run", "--kinds", "ec3"),
        ("wake", "nobody"),
        ("explain", "nobody"),
        ("plan", "--output", "yaml"),
    ],
)
def test_usage_errors_change_nothing(
    cli: Cli, world: World, tmp_path: Path, args: tuple[str, ...]
) -> None:
    before = world.states()
    ledger = tmp_path / "ledger"
    region = () if "--region" in args else ("--region", REGION)
    at = () if "--at" in args else ("--at", EVENING)
    proc = cli(*args, *region, *at, "--ledger", str(ledger), timeout=30)
    assert proc.returncode == 2, proc.stderr
    one_line_error(proc)
    assert world.states() == before
    assert tree(ledger) == []
