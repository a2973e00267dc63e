"""Helpers for the runtime smoke tests: load infra/package.py, find the target Python."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = ("schedules", "providers", "ledger", "functions")


def load_packager() -> ModuleType:
    """infra/package.py as a module (it is a script, not part of the import packages)."""
    name = "offhours_package"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "infra" / "package.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module
