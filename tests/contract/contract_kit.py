"""The shared contract suite's clouds: one moto, one GCP fake and one ARM fake per module,
each started only when a case of its cloud runs; resources are created per test.

A uniquely named module (conftest.py imports its fixtures): ``conftest`` itself is not
importable by name when several test folders have one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from subjects import GCP_REGION, NOW, PROJECT, REGION, SUB, SUBJECTS, EndpointOperations, Subject

import providers
from providers.base import AdapterOptions, KindAdapter, ProviderConfig
from providers.store import LocalStore


class Ticker:
    """Monotonic seconds that only a sleep moves: waiting for an operation takes no time."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class World:
    """One cloud's fake for the module; ``connect()`` makes a fresh connection per test
    (connections cache listings, which would hide what a later test created)."""

    connect: Callable[[], Any]
    store: LocalStore
    fake: Any = None
    _clients: dict[str, Any] | None = None

    def clients(self, service: str) -> Any:
        import boto3

        self._clients = self._clients or {}
        if service not in self._clients:
            self._clients[service] = boto3.client(service, region_name=REGION)
        return self._clients[service]


@pytest.fixture(scope="module")
def aws_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from moto import mock_aws

    from providers.aws.connection import AwsConnection, connect

    with mock_aws():
        config = ProviderConfig(regions=(REGION,))

        def connection() -> AwsConnection:
            ticker = Ticker()
            return replace(connect(config), monotonic=ticker, sleep=ticker.sleep)

        store = LocalStore(tmp_path_factory.mktemp("aws-state"))
        yield World(connection, store, EndpointOperations())


@pytest.fixture(scope="module")
def gcp_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from providers.gcp.connection import GcpConnection
    from sandbox.gcp_fake import start_gcp_fake

    with start_gcp_fake(lambda: NOW) as fake, pytest.MonkeyPatch.context() as env:
        for name, value in fake.credential_env(tmp_path_factory.mktemp("gcp-adc")).items():
            env.setenv(name, value)
        fake.add_project(PROJECT)
        config = ProviderConfig(accounts=(PROJECT,), regions=(GCP_REGION,), endpoint_url=fake.url)

        def connection() -> GcpConnection:
            ticker = Ticker()
            return GcpConnection(config, monotonic=ticker, sleep=ticker.sleep)

        yield World(connection, LocalStore(tmp_path_factory.mktemp("gcp-state")), fake)


@pytest.fixture(scope="module")
def azure_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from providers.azure.connection import connect
    from sandbox.azure_fake import start_azure_fake

    with start_azure_fake(clock=lambda: NOW) as fake, pytest.MonkeyPatch.context() as env:
        for name, value in fake.credential_env().items():
            env.setenv(name, value)
        fake.add_subscription(SUB)
        config = ProviderConfig(endpoint_url=fake.url)
        yield World(
            lambda: connect(config), LocalStore(tmp_path_factory.mktemp("azure-state")), fake
        )


REGISTERED = [(cloud, kind) for cloud, kinds in providers.KINDS.items() for kind in kinds]


def subject_for(request: pytest.FixtureRequest, cloud: str, kind: str) -> Subject:
    if (cloud, kind) not in SUBJECTS:
        pytest.fail(f"no contract subject for {cloud}:{kind} (tests/contract/subjects.py)")
    world = request.getfixturevalue(f"{cloud}_world")
    return SUBJECTS[(cloud, kind)](world)


def adapter_for(subject: Subject) -> KindAdapter:
    adapter_class = providers.load(providers.KINDS[subject.cloud][subject.kind])
    options = AdapterOptions(clock=lambda: NOW, state=subject.world.store)
    adapter: KindAdapter = adapter_class(subject.connection, options)
    return adapter
