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


TOOLS = ROOT / ".venv-tools"
LAMBDA_RUNTIME = TOOLS / "lambda-runtime"  # awslambdaric + boto3 (.ci/install-tools.sh)


def python312() -> str | None:
    """The target interpreter of every artefact (Lambda python3.12, Cloud Functions
    python312, Azure 3.12), found the way infra/package.py finds it."""
    found: str | None = load_packager().target_python("3.12")
    return found


def build(cloud: str, out: Path, *only: str, arch: str = "x86_64") -> None:
    """``python infra/package.py CLOUD`` into ``out`` (deflate level 1: same files, and the
    smoke tests do not wait on level 9)."""
    packager = load_packager()
    packager.build(
        cloud, out, "3.12", measure=False, arch=arch, level=1, only=only, build_dir=out / "stage"
    )


def unzip(archive: Path, into: Path) -> Path:
    """Unpack as the platform does (file modes kept: Lambda and Azure run from them)."""
    import zipfile

    into.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive) as opened:
        for info in opened.infolist():
            opened.extract(info, into)
            mode = info.external_attr >> 16
            if mode:
                (into / info.filename).chmod(mode)
    return into


def clean_env(**extra: str) -> dict[str, str]:
    """A process environment with nothing of the project's venv: no PYTHONPATH, no
    VIRTUAL_ENV, a PATH without the venv's bin."""
    import os

    path = os.pathsep.join(
        p for p in os.environ.get("PATH", "").split(os.pathsep) if ".venv" not in p
    )
    return {"PATH": path, "LANG": "C.UTF-8", **extra}
