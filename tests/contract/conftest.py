"""Fixtures of the shared contract suite (tests/contract/contract_kit.py)."""

from __future__ import annotations

import sys
from pathlib import Path

# The helper modules beside this file are imported by bare name, whichever import mode runs.
if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))

from contract_kit import aws_world, azure_world, gcp_world  # noqa: F401  (fixtures)
