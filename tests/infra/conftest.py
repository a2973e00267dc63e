"""Deployment checks: templates, Terraform modules, packaging, lint (tests/infra)."""

from __future__ import annotations

import sys
from pathlib import Path

# The tests import their helpers as ``infra_kit`` (like tests/gcp's ``gcp_helpers``).
sys.path.insert(0, str(Path(__file__).parent))
