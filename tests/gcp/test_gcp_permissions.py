"""The shipped custom role covers every GCP adapter, and the fake's routes are all mapped.

Per-test checks that each request stays inside the calling adapters' permissions run in
conftest.py's ``fake`` fixture teardown.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from gcp_permissions import ROUTE_PERMISSIONS, permission_for

from providers import KINDS, STORES, load
from providers.gcp.connection import GcpConnection
from sandbox.gcp_fake import route_names

ROLE = Path(__file__).resolve().parents[2] / "infra" / "gcp" / "offhours-role.yaml"
PERMISSION = re.compile(r"^[a-z]+\.[a-zA-Z]+\.[a-zA-Z]+$")


def _role() -> dict:
    return yaml.safe_load(ROLE.read_text())


def _needed() -> set[str]:
    needed = set(GcpConnection.permissions) | set(load(STORES["gs"]).permissions)
    for path in KINDS["gcp"].values():
        needed |= set(load(path).permissions)
    return needed


def test_role_is_a_valid_custom_role_definition() -> None:
    role = _role()
    assert set(role) == {"title", "description", "stage", "includedPermissions"}
    assert role["stage"] in {"ALPHA", "BETA", "GA"}
    permissions = role["includedPermissions"]
    assert len(permissions) == len(set(permissions))
    assert all(PERMISSION.match(p) for p in permissions), permissions


def test_role_covers_every_adapter_and_nothing_more() -> None:
    granted = set(_role()["includedPermissions"])
    assert _needed() - granted == set()
    assert granted - _needed() == set()  # least privilege: nothing nobody declared


def test_every_route_of_the_fake_maps_to_permissions() -> None:
    assert set(route_names()) == set(ROUTE_PERMISSIONS)
    examples = {
        ("POST", "/compute/v1/projects/p/zones/z/instances/i/suspend"): (
            "compute.instances.suspend",
        ),
        ("POST", "/notebooks/v2/projects/p/locations/z/instances/n:start"): (
            "notebooks.instances.start",
        ),
        ("GET", "/aiplatform/v1/projects/p/locations/r/endpoints/1/operations/9"): (
            "aiplatform.endpoints.get",
        ),
        ("POST", "/aiplatform/v1/projects/p/locations/r/endpoints/1:deployModel"): (
            "aiplatform.endpoints.deploy",
            "aiplatform.models.deploy",
        ),
    }
    for (method, path), expected in examples.items():
        assert permission_for(method, path) == expected
    assert permission_for("GET", "/compute/v1/nowhere")[0].startswith("<no route")
