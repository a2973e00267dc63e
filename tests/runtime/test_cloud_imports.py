"""Every project import in a cloud's artefact resolves inside that artefact.

A package for one cloud leaves the other clouds' ``providers/<cloud>`` out
(infra/package.py), so a module that imports another cloud's adapter, even inside a
function, fails there at run time (the Azure digest once died every week with
``No module named 'providers.aws'``). Other clouds' code is reached only through the
registries' ``"module:attribute"`` strings, which are loaded when that cloud is used.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from runtime_kit import PROJECT_PACKAGES, ROOT, load_packager


def imported_modules(path: Path) -> set[str]:
    """Every module an ``import`` or ``from … import`` names, at any depth of the file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def resolves(module: str, files: set[str]) -> bool:
    base = module.replace(".", "/")
    return f"{base}.py" in files or f"{base}/__init__.py" in files


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_project_imports_resolve_inside_the_artefact(cloud: str) -> None:
    packager = load_packager()
    files = {rel for _, rel in packager.project_files(cloud)}
    missing = []
    for rel in sorted(f for f in files if f.endswith(".py")):
        for module in imported_modules(ROOT / rel):
            if module.split(".")[0] not in PROJECT_PACKAGES:
                continue
            # ``from pkg import name`` also names an attribute, not only a submodule.
            parent = module.rpartition(".")[0]
            if not resolves(module, files) and not (parent and resolves(parent, files)):
                missing.append(f"{rel} imports {module}")
    assert not missing, f"{cloud} artefact lacks what these import:\n" + "\n".join(missing)


def test_registries_name_only_modules_of_their_cloud() -> None:
    import providers
    from functions.mail import CLOUD_SENDERS

    store_clouds = {"s3": "aws", "gs": "gcp", "azblob": "azure"}
    entries = [
        *((c, p) for c, p in providers.CONNECTIONS.items()),
        *((c, p) for c, kinds in providers.KINDS.items() for p in kinds.values()),
        *((c, p) for c, p in providers.PRICE_SOURCES.items()),
        *((c, p) for c, p in providers.SETTINGS.items()),
        *((store_clouds[s], p) for s, p in providers.STORES.items()),
        *(("aws", s.module) for s in CLOUD_SENDERS.values()),
    ]
    for cloud, path in entries:
        assert path.startswith(f"providers.{cloud}."), (cloud, path)


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_a_package_for_one_cloud_reads_only_that_clouds_settings(
    cloud: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An artefact leaves the other clouds' ``providers/<cloud>`` out: settings know the
    clouds it carries, and no import of another cloud's settings fails the run."""
    import sys

    from functions.settings import Settings, setting_names

    for other in {"aws", "gcp", "azure"} - {cloud}:
        for module in (f"providers.{other}", f"providers.{other}.settings"):
            monkeypatch.setitem(sys.modules, module, None)  # as if absent
    names = setting_names()
    assert f"{cloud}_endpoint_url" in names
    assert not [n for n in names if n.split("_")[0] in {"aws", "gcp", "azure"} - {cloud}]
    settings = Settings.from_sources({}, {"OFFHOURS_PROVIDERS": cloud})
    assert settings.provider_config(cloud).endpoint_url == ""
