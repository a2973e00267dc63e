"""Azure functional tests: the real SDK clients against the local ARM fake.

Every test that builds adapters through ``build`` also checks, at teardown, that each
request the fake served maps (by ARM's own naming rule) to an RBAC action inside the
permissions of the adapters the test used (plus the connection's).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

# The helper modules beside this file are imported by name from the test modules; make
# that work under both pytest import modes (prepend and importlib).
if str(Path(__file__).parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent))

from azure_rbac import rbac_action
from azure_testkit import NOW

from providers.azure.connection import CONNECTION_PERMISSIONS, AzureConnection, connect
from providers.base import AdapterOptions, ProviderConfig
from providers.store import LocalStore
from sandbox.azure_fake import AzureFake, start_azure_fake


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[AzureFake]:
    """The fake, and DefaultAzureCredential pointed at its Entra ID tenant."""
    with start_azure_fake() as server:
        for name, value in server.credential_env().items():
            monkeypatch.setenv(name, value)
        yield server


@pytest.fixture
def connection(fake: AzureFake) -> AzureConnection:
    return connect(ProviderConfig(endpoint_url=fake.url))


@pytest.fixture
def options(tmp_path: Any) -> AdapterOptions:
    return AdapterOptions(clock=lambda: NOW, state=LocalStore(tmp_path / "state"), max_workers=4)


@pytest.fixture
def build(
    fake: AzureFake, connection: AzureConnection, options: AdapterOptions
) -> Iterator[Callable[..., Any]]:
    used: list[Any] = []

    def make(adapter_class: type, **changes: Any) -> Any:
        adapter = adapter_class(connection, replace(options, **changes))
        used.append(adapter)
        return adapter

    yield make
    allowed = {p.lower() for a in used for p in a.permissions}
    allowed |= {p.lower() for p in CONNECTION_PERMISSIONS}
    outside = {
        (method, path, rbac_action(method, path))
        for method, path in fake.requests
        if rbac_action(method, path).lower() not in allowed
    }
    assert not outside, f"requests outside the adapters' permissions: {sorted(outside)}"
