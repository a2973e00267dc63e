"""Runtime smoke tests: each cloud's artefact run the way its runtime runs it (tests/runtime)."""

from __future__ import annotations

import sys
from pathlib import Path

# The tests import their helpers as ``runtime_kit`` (like tests/infra's ``infra_kit``).
sys.path.insert(0, str(Path(__file__).parent))
