"""The registry meta-test: walk ``providers/__init__.py`` and check every adapter it names.

For each registered kind on each cloud:

- it loads, and implements the protocol of ``providers/base.py`` (``KindAdapter``): its
  ``kind`` is its registry key, it declares its ``permissions``, it has the methods;
- every permission it declares is granted by the shipped policy of its cloud (the AWS
  policy file, the GCP custom role, the Azure custom role);
- its fake serves it: moto implements each AWS operation (the few it lacks are listed
  with the fake that serves them instead), each GCP permission is one the GCP fake's
  routes need, each Azure action matches a route of the ARM fake;
- it has a subject in the shared contract suite (test_contract.py).
"""

from __future__ import annotations

import importlib
import inspect
import json
import sys
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore import xform_name
from subjects import SUBJECTS

import providers
from providers.base import KindAdapter

ROOT = Path(__file__).resolve().parents[2]
REGISTERED = [(cloud, kind) for cloud, kinds in providers.KINDS.items() for kind in kinds]
IDS = [f"{cloud}-{kind}" for cloud, kind in REGISTERED]
# AWS operations moto does not implement (FIELD-NOTES.md), and what serves them instead.
MOTO_LACKS = {
    "sagemaker:DescribeInferenceComponent": "tests/functional/aws/test_aws_inference_components.py",
    "sagemaker:ListInferenceComponents": "tests/functional/aws/test_aws_inference_components.py",
    "sagemaker:UpdateInferenceComponentRuntimeConfig": (
        "tests/functional/aws/test_aws_inference_components.py"
    ),
}
# botocore service name -> IAM prefix, where they differ (and back, for moto).
MOTO_SERVICE = {
    "tag": "resourcegroupstaggingapi",
    "application-autoscaling": "applicationautoscaling",
}


def adapter(cloud: str, kind: str) -> Any:
    return providers.load(providers.KINDS[cloud][kind])


def protocol_members() -> tuple[set[str], set[str]]:
    """(attributes, methods) of ``KindAdapter``."""
    attributes = set(KindAdapter.__annotations__)
    methods = {
        name
        for name, value in vars(KindAdapter).items()
        if not name.startswith("_") and inspect.isfunction(value)
    }
    return attributes, methods


@pytest.mark.parametrize(("cloud", "kind"), REGISTERED, ids=IDS)
def test_adapter_implements_the_protocol(cloud: str, kind: str) -> None:
    cls = adapter(cloud, kind)
    attributes, methods = protocol_members()
    assert {"kind", "permissions"} <= attributes and {"discover", "apply"} <= methods
    assert cls.kind == kind
    assert isinstance(cls.permissions, tuple) and cls.permissions
    assert all(isinstance(p, str) and p for p in cls.permissions)
    for name in methods:
        method = getattr(cls, name, None)
        assert callable(method), f"{cls.__name__} lacks {name}()"
        wanted = list(inspect.signature(getattr(KindAdapter, name)).parameters)
        assert list(inspect.signature(method).parameters)[: len(wanted)] == wanted, name


def test_the_registry_lists_every_cloud_everywhere() -> None:
    clouds = set(providers.clouds())
    assert clouds == set(providers.KINDS) == set(providers.PRICE_SOURCES)
    assert providers.clouds() == tuple(providers.CONNECTIONS)


# ------------------------------------------------------------------ permissions granted


def aws_allowed() -> list[str]:
    doc = json.loads((ROOT / "infra/aws/offhours-policy.json").read_text())
    return [
        action
        for statement in doc["Statement"]
        if statement["Effect"] == "Allow"
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
    ]


def granted(cloud: str) -> set[str]:
    if cloud == "gcp":
        role = yaml.safe_load((ROOT / "infra/gcp/offhours-role.yaml").read_text())
        return set(role["includedPermissions"])
    if cloud == "azure":
        role = json.loads((ROOT / "infra/azure/offhours-role.json").read_text())
        return {a.lower() for a in role["Actions"]}
    raise AssertionError(cloud)


@pytest.mark.parametrize(("cloud", "kind"), REGISTERED, ids=IDS)
def test_every_permission_is_in_the_shipped_policy(cloud: str, kind: str) -> None:
    needed = adapter(cloud, kind).permissions
    if cloud == "aws":
        patterns = [p.lower() for p in aws_allowed()]
        missing = [p for p in needed if not any(fnmatchcase(p.lower(), a) for a in patterns)]
    else:
        have = granted(cloud)
        missing = [p for p in needed if (p.lower() if cloud == "azure" else p) not in have]
    assert missing == []


# ------------------------------------------------------------------ the fake serves it


def moto_serves(permission: str) -> bool:
    prefix, operation = permission.split(":", 1)
    service = MOTO_SERVICE.get(prefix, prefix)
    responses = importlib.import_module(f"moto.{service}.responses")
    method = xform_name(operation)  # DescribeDBInstances -> describe_db_instances
    return any(
        hasattr(cls, method)
        for _, cls in inspect.getmembers(responses, inspect.isclass)
        if cls.__module__.startswith("moto.")
    )


def gcp_route_permissions() -> set[str]:
    sys.path.insert(0, str(ROOT / "tests" / "gcp"))
    from gcp_permissions import ROUTE_PERMISSIONS, permission_for

    served = {p for perms in ROUTE_PERMISSIONS.values() for p in perms}
    samples = [
        ("POST", "/compute/v1/projects/p/zones/z/instances/i/{verb}"),
        ("POST", "/notebooks/v2/projects/p/locations/z/instances/n:{verb}"),
        ("GET", "/notebooks/v2/projects/p/locations/z/operations/o"),
    ]
    for verb in ("start", "stop", "suspend", "resume"):
        for method, path in samples:
            served.update(permission_for(method, path.format(verb=verb)))
    return {p for p in served if not p.startswith("<")}


def azure_sample_requests(action: str) -> list[tuple[str, str]]:
    """Requests ARM would authorise with ``action`` (the inverse of ARM's naming rule)."""
    parts = action.split("/")
    namespace, rest = parts[0], parts[1:]
    if namespace.lower() == "microsoft.resources":
        # Resource Groups - List, or Subscriptions - Get/List.
        if "resourcegroups" in action.lower():
            return [("GET", "/subscriptions/s/resourcegroups")]
        return [("GET", "/subscriptions/s")]
    if action.lower() == "microsoft.insights/metrics/read":
        # Also the batch metrics API (regional metrics host), as ``azure_rbac`` maps it.
        return [("POST", "/subscriptions/s/metrics:getBatch")]
    if rest[-1] == "action":
        types, verb, methods = rest[:-2], rest[-2], ["POST"]
    else:
        types, verb = rest[:-1], rest[-1]
        methods = {"read": ["GET"], "write": ["PUT", "PATCH"], "delete": ["DELETE"]}[verb]
        verb = ""
    named = "/".join(f"{t}/x{i}" for i, t in enumerate(types))
    paths = [named + (f"/{verb}" if verb else "")]
    if methods == ["GET"]:
        paths.append(named.rsplit("/", 1)[0])  # listing the collection reads it too
    scopes = ["/subscriptions/s/resourceGroups/g", "/subscriptions/s"]
    return [
        (m, f"{scope}/providers/{namespace}/{path}")
        for m in methods
        for scope in scopes
        for path in paths
    ]


def azure_serves(action: str) -> bool:
    from sandbox.azure_fake.server import ROUTES

    return any(
        route.method == method and route.pattern.match(path)
        for method, path in azure_sample_requests(action)
        for route in ROUTES
    )


@pytest.mark.parametrize(("cloud", "kind"), REGISTERED, ids=IDS)
def test_the_fake_serves_every_permission(cloud: str, kind: str) -> None:
    needed = adapter(cloud, kind).permissions
    if cloud == "aws":
        unserved = [p for p in needed if p not in MOTO_LACKS and not moto_serves(p)]
    elif cloud == "gcp":
        served = gcp_route_permissions()
        unserved = [p for p in needed if p not in served]
    else:
        unserved = [p for p in needed if not azure_serves(p)]
    assert unserved == []


def test_what_moto_lacks_is_really_lacking_and_served_elsewhere() -> None:
    for permission, where in MOTO_LACKS.items():
        assert not moto_serves(permission), f"moto serves {permission} now: drop it here"
        assert (ROOT / where).exists()


# ------------------------------------------------------------------ the contract suite


def test_every_registered_kind_has_a_contract_subject() -> None:
    missing = {key for key in REGISTERED if key not in SUBJECTS}
    assert missing == set()
    assert not set(SUBJECTS) - set(REGISTERED), "a subject for a kind nobody registered"
