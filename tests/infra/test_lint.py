"""cfn-lint (dev extra) and checkov (its own venv, .ci/install-tools.sh) on the templates
and modules, offline."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from infra_kit import ROOT

CHECKOV = ROOT / ".venv-tools" / "bin" / "checkov"
CHECKOV_CONFIG = ROOT / "infra" / "checkov.yaml"


def cfn_templates() -> list[Path]:
    return [ROOT / "template.yaml", *sorted((ROOT / "infra" / "aws").glob("*.yaml"))]


def test_cfn_lint_has_no_errors() -> None:
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    if not cfn_lint.exists():
        pytest.skip("cfn-lint is not installed (pip install -e '.[dev]')")
    done = subprocess.run(
        [str(cfn_lint), *map(str, cfn_templates())],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    # cfn-lint's exit code is a bit mask: 2 = errors, 4 = warnings, 8 = informational.
    assert done.returncode & 2 == 0, done.stdout + done.stderr
    assert done.returncode == 0, f"cfn-lint warnings:\n{done.stdout}"


def test_every_checkov_skip_has_a_reason() -> None:
    skips = []
    in_skips = False
    for line in CHECKOV_CONFIG.read_text().splitlines():
        if re.match(r"^skip-check:", line):
            in_skips = True
            continue
        if in_skips and re.match(r"^\S", line):
            in_skips = False
        entry = re.match(r"^\s+-\s+(\S+)\s*(?:#\s*(.*))?$", line)
        if in_skips and entry:
            skips.append(entry.groups())
    assert skips
    for check, reason in skips:
        assert re.fullmatch(r"CKV2?_[A-Z]+_\d+", check), check
        assert reason and len(reason.split()) >= 4, f"{check} needs a one-line reason"
    ids = [c for c, _ in skips]
    assert len(ids) == len(set(ids)), "a check is skipped twice"


def run_checkov(*targets: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    return subprocess.run(
        [str(CHECKOV), "--config-file", str(CHECKOV_CONFIG), *targets],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )


def test_checkov_passes_with_the_listed_skips() -> None:
    if not CHECKOV.exists():
        pytest.skip("checkov is not installed: run .ci/install-tools.sh (it creates .venv-tools/)")
    templates = run_checkov("-f", *(str(p.relative_to(ROOT)) for p in cfn_templates()))
    modules = run_checkov("-d", "infra/terraform")
    for done in (templates, modules):
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
        assert "Passed checks" in done.stdout
