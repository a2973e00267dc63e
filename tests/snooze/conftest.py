"""Snooze tests: their helpers import as ``snooze_kit`` (like tests/infra's ``infra_kit``)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
