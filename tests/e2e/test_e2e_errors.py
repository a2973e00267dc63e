"""Item 2: an error is one line on stderr, never a traceback, and changes nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from e2e_kit import EVENING, REGION, SCRIPT, Cli, World, one_line_error, tree


def test_missing_s3_bucket_as_ledger(cli: Cli, world: World) -> None:
    before = world.states()
    proc = cli("run", "--region", REGION, "--ledger", "s3://no-such-bucket/x", "--at", EVENING)
    assert proc.returncode == 2
    assert "no-such-bucket" in one_line_error(proc)
    assert world.states() == before


def test_gcs_ledger_without_credentials(cli: Cli, world: World, tmp_path: Path) -> None:
    before = world.states()
    proc = cli(
        "plan",
        "--region",
        REGION,
        "--ledger",
        "gs://some-bucket/offhours",
        "--at",
        EVENING,
        env={"GOOGLE_APPLICATION_CREDENTIALS": str(tmp_path / "missing.json")},
    )
    assert proc.returncode == 2
    one_line_error(proc)
    assert world.states() == before


def test_preview_path_that_cannot_be_written(cli: Cli, world: World, tmp_path: Path) -> None:
    ledger = tmp_path / "ledger"
    ran = cli("run", "--region", REGION, "--kinds", "ec2", "--ledger", str(ledger), "--at", EVENING)
    assert ran.returncode == 0, ran.stderr
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    proc = cli(
        "digest",
        "--week",
        "2026-W48",
        "--ledger",
        str(ledger),
        "--preview",
        str(blocker / "digest.html"),
        "--at",
        "2026-11-30T09:00:00Z",
    )
    assert proc.returncode == 2
    assert "a-file" in one_line_error(proc)


def test_a_closed_pipe_is_not_an_error(cli: Cli, world: World, tmp_path: Path) -> None:
    ledger = tmp_path / "ledger"
    cli("run", "--region", REGION, "--kinds", "ec2", "--ledger", str(ledger), "--at", EVENING)
    # `offhours ledger show | head -0`: the reader is gone before the first line.
    reader, writer = __import__("os").pipe()
    __import__("os").close(reader)
    proc = subprocess.run(
        [str(SCRIPT), "ledger", "show", "--ledger", str(ledger), "--week", "2026-W48"],
        stdout=writer,
        stderr=subprocess.PIPE,
        text=True,
        env=cli.env(),
        timeout=60,
        check=False,
    )
    __import__("os").close(writer)
    assert proc.returncode == 141
    assert proc.stderr == ""


# Loaded at start-up from PYTHONPATH: makes the named packages unimportable, as on an
# install without the extra that brings them.
BLOCKER = """
import sys

class _Absent:
    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in BLOCKED):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

BLOCKED = {blocked!r}
for _name in [m for m in sys.modules if any(m == b or m.startswith(b + ".") for b in BLOCKED)]:
    del sys.modules[_name]
sys.meta_path.insert(0, _Absent())
"""


@pytest.mark.parametrize(
    ("blocked", "args", "extra"),
    [
        (("google.cloud", "google.auth"), ("plan", "--provider", "gcp", "--project", "p1"), "gcp"),
        (
            ("jinja2",),
            ("digest", "--week", "2026-W48", "--preview", "d.html"),
            "digest",
        ),
    ],
)
def test_a_missing_extra_is_named(
    cli: Cli,
    world: World,
    tmp_path: Path,
    blocked: tuple[str, ...],
    args: tuple[str, ...],
    extra: str,
) -> None:
    ledger = tmp_path / "ledger"
    cli("run", "--region", REGION, "--kinds", "ec2", "--ledger", str(ledger), "--at", EVENING)
    written = tree(ledger)
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCKER.replace("{blocked!r}", repr(list(blocked))))
    proc = cli(*args, "--ledger", str(ledger), env={"PYTHONPATH": str(site)})
    assert proc.returncode == 2
    assert f"pip install 'offhours[{extra}]'" in one_line_error(proc)
    assert tree(ledger) == written


@pytest.mark.parametrize("command", ["plan", "run", "inventory"])
def test_missing_credentials_exit_2_with_nothing_on_stdout(
    cli: Cli, world: World, tmp_path: Path, command: str
) -> None:
    """No credentials: no target can be listed, so nothing ran. A usage error (exit 2, as
    the README says), one line on stderr, and no table header on stdout."""
    before = world.states()
    no_keys = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": ""}
    proc = cli(command, "--region", REGION, "--ledger", str(tmp_path / "l"), env=no_keys)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "no AWS credentials" in one_line_error(proc)
    assert world.states() == before
