"""GCP fixtures: the local fake, adapters built against it, and the permission check.

Every test that uses ``fake`` is checked at teardown: each request the fake served must map
(``gcp_permissions.permission_for``) to permissions inside the adapters that test built (plus
the connection's own). A call an adapter makes without declaring its permission fails there.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from providers.base import AdapterOptions, ProviderConfig
from providers.gcp.connection import GcpConnection
from providers.store import ObjectStore
from sandbox.gcp_fake import GcpFake, start_gcp_fake

# The helper modules beside this file (gcp_helpers, gcp_permissions) are imported by bare
# name, whichever import mode pytest runs in.
sys.path.insert(0, str(Path(__file__).parent))


class Built:
    """What a test built: the adapters whose permissions its requests must stay inside."""

    def __init__(self) -> None:
        self.permissions: set[str] = set(GcpConnection.permissions)


@pytest.fixture
def built() -> Built:
    return Built()


@pytest.fixture
def fake(
    built: Built, clock: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[GcpFake]:
    """The fake, and Application Default Credentials pointing at its token endpoint."""
    from gcp_helpers import PROJECT
    from gcp_permissions import permission_for

    with start_gcp_fake(clock) as running:
        for name, value in running.credential_env(tmp_path).items():
            monkeypatch.setenv(name, value)
        running.add_project(PROJECT)
        yield running
        outside = {
            (method, path, needed)
            for method, path in running.requests
            for needed in permission_for(method, path)
            if needed not in built.permissions
        }
    assert not outside, f"requests outside the calling adapters' permissions: {sorted(outside)}"


class Ticker:
    """A monotonic clock that only a sleep moves: waiting for operations takes no time."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def connection(fake: GcpFake) -> GcpConnection:
    from gcp_helpers import PROJECT, REGION

    ticker = Ticker()
    config = ProviderConfig(accounts=(PROJECT,), regions=(REGION,), endpoint_url=fake.url)
    return GcpConnection(config, monotonic=ticker, sleep=ticker.sleep)


AdapterFactory = Callable[..., Any]


@pytest.fixture
def make(connection: GcpConnection, clock: Any, store: ObjectStore, built: Built) -> AdapterFactory:
    """``make(AdapterClass, state=..., **options)`` -> adapter on the fake's connection."""

    def build(cls: Any, state: ObjectStore | None = store, **options: Any) -> Any:
        built.permissions.update(cls.permissions)
        return cls(connection, AdapterOptions(clock=clock, state=state, **options))

    return build
