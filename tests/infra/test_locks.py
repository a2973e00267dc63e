"""The GCP and Azure packages install pinned, hashed dependencies from one lock per cloud
(infra/locks/, written by ``python infra/package.py CLOUD --lock`` from pyproject.toml),
so a deploy installs what the tests ran: Cloud Build installs the GCP requirements.txt
(which is the lock) with hash checking; the Azure zip is vendored from the lock with
``--require-hashes``. Static: no network."""

from __future__ import annotations

import re
import sys
from types import ModuleType

import pytest
from infra_kit import ROOT
from packaging.requirements import Requirement

PIN = re.compile(r"^([a-z0-9][a-z0-9._-]*)==(\S+) \\\n    --hash=sha256:[0-9a-f]{64}$", re.M)


@pytest.fixture(scope="module")
def package() -> ModuleType:
    sys.path.insert(0, str(ROOT / "tests" / "runtime"))
    from runtime_kit import load_packager

    return load_packager()


def pins(text: str) -> dict[str, str]:
    return {name: version for name, version in PIN.findall(text)}


@pytest.mark.parametrize("cloud", ["gcp", "azure"])
def test_lock_pins_everything_with_a_hash(package: ModuleType, cloud: str) -> None:
    text = package.read_lock(cloud)
    assert text, f"infra/locks/{cloud}.txt is missing: python infra/package.py {cloud} --lock"
    body = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert len(body) == 2 * len(pins(text)), "every entry is `name==version` + one hash line"


@pytest.mark.parametrize("cloud", ["gcp", "azure"])
def test_lock_satisfies_the_ranges_in_pyproject(package: ModuleType, cloud: str) -> None:
    locked = pins(package.read_lock(cloud))
    for spec in package.lock_inputs(cloud):
        wanted = Requirement(spec)
        name = package.requirement_name(wanted.name)
        assert name in locked, f"{cloud} lock lacks {name}: regenerate it"
        assert wanted.specifier.contains(locked[name], prereleases=True), (
            f"{cloud} lock pins {name}=={locked[name]}, outside {spec}: regenerate it"
        )


def test_packages_install_from_the_lock(package: ModuleType) -> None:
    (gcp,) = package.artefacts("gcp", "3.12")
    assert gcp.extra_files["requirements.txt"] == package.read_lock("gcp")
    (azure,) = package.artefacts("azure", "3.12")
    assert azure.lock == ROOT / "infra" / "locks" / "azure.txt"
    assert azure.extra_files["requirements.txt"] == package.read_lock("azure")
