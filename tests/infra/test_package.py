"""infra/package.py chooses the right dependencies and files per cloud (no network: the
full build with pip is `python infra/package.py aws --measure`)."""

from __future__ import annotations

import importlib.util
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest
from infra_kit import ROOT


@pytest.fixture(scope="module")
def package() -> ModuleType:
    spec = importlib.util.spec_from_file_location("offhours_package", ROOT / "infra" / "package.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def names(specs: tuple[str, ...], package: ModuleType) -> set[str]:
    return {package.requirement_name(s) for s in specs}


def test_aws_zip_dependencies(package: ModuleType) -> None:
    scheduler, digest = package.artefacts("aws", "3.12")
    wanted = {"aws-lambda-powertools", "croniter", "holidays", "pyyaml", "tzdata"}
    assert names(scheduler.requirements, package) == wanted  # boto3 comes with the runtime
    assert names(digest.requirements, package) == wanted | {"jinja2", "orjson"}
    assert scheduler.platform == "manylinux2014_aarch64"


def test_other_clouds_carry_no_foreign_sdk(package: ModuleType) -> None:
    (gcp,) = package.artefacts("gcp", "3.12")
    (azure,) = package.artefacts("azure", "3.12")
    gcp_names, azure_names = names(gcp.requirements, package), names(azure.requirements, package)
    assert not {n for n in gcp_names if n.startswith(("azure", "boto", "aws"))}
    assert not {n for n in azure_names if n.startswith(("google", "boto", "aws"))}
    assert "main.py" in gcp.extra_files and "reconcile_event" not in gcp.extra_files["main.py"]
    assert "function_app.py" in azure.extra_files


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_project_files(package: ModuleType, cloud: str) -> None:
    files = {rel for _, rel in package.project_files(cloud)}
    assert "functions/clouds/aws_lambda.py" in files
    assert not [f for f in files if f.startswith(("sandbox/", "tests/"))]
    assert not [f for f in files if "__pycache__" in f]
    others = {"aws", "gcp", "azure"} - {cloud}
    assert not [f for f in files if f.split("/")[:2] in (["providers", o] for o in others)]
    assert any(f.startswith(f"providers/{cloud}/") for f in files)
    assert any(f.startswith("schedules/") and f.endswith((".yaml", ".yml")) for f in files)
    assert {
        "functions/jobs/templates/digest.html.j2",
        "functions/jobs/templates/digest.txt.j2",
    } <= files


def test_zip_is_reproducible(package: ModuleType, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "pkg").mkdir(parents=True)
    (tree / "pkg" / "a.py").write_text("A = 1\n")
    first, second = tmp_path / "1.zip", tmp_path / "2.zip"
    package.write_zip(tree, first)
    (tree / "pkg" / "a.py").touch()
    package.write_zip(tree, second)
    assert first.read_bytes() == second.read_bytes()
    assert zipfile.ZipFile(first).namelist() == ["pkg/a.py"]
