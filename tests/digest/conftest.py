"""Shared by the digest tests: the row builders of tests/ledger."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[1] / "ledger"))
sys.path.insert(0, str(Path(__file__).parent))


import pytest
from digest_week import Week, build_week


@pytest.fixture
def week(tmp_path: Path) -> Week:
    return build_week(tmp_path / "ledger")
