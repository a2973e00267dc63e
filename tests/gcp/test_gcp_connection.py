"""GcpConnection: targets from config or Resource Manager, clients built lazily."""

from __future__ import annotations

from typing import Any

import pytest
from gcp_helpers import PROJECT

from providers import CONNECTIONS, load
from providers.base import ProviderConfig, Target
from providers.gcp.connection import DEFAULT_REGIONS, SCOPES, GcpConnection
from providers.gcp.rest import GcpApiError
from sandbox.gcp_fake import GcpFake


def _connect(fake: GcpFake, **config: Any) -> GcpConnection:
    connection = load(CONNECTIONS["gcp"])(ProviderConfig(endpoint_url=fake.url, **config))
    assert isinstance(connection, GcpConnection)
    return connection


def test_targets_from_accounts_keep_order_and_drop_duplicates(fake: GcpFake) -> None:
    connection = _connect(fake, accounts=("b-proj", "a-proj", "b-proj"))

    assert connection.provider == "gcp"
    assert connection.targets() == [Target("gcp", "b-proj"), Target("gcp", "a-proj")]
    assert fake.requests == []  # listed projects need no API call


def test_targets_under_an_organization_walk_nested_folders(fake: GcpFake) -> None:
    fake.add_folder("folders/10", "organizations/77")
    fake.add_folder("folders/11", "folders/10")
    fake.add_project("top-proj", "organizations/77")
    fake.add_project("team-proj", "folders/10")
    fake.add_project("deep-proj", "folders/11")
    fake.add_project("elsewhere", "organizations/99")
    fake.world.projects["team-proj"]["state"] = "DELETE_REQUESTED"
    for i in range(120):  # more than one page of projects
        fake.add_project(f"bulk-{i:03d}", "folders/11")

    targets = _connect(fake, organization="77").targets()
    folder_targets = _connect(fake, organization="folders/11").targets()

    names = [t.account for t in targets]
    assert "top-proj" in names and "deep-proj" in names and "bulk-119" in names
    assert "team-proj" not in names and "elsewhere" not in names and PROJECT not in names
    assert len(names) == 122
    assert len(folder_targets) == 121 and all(t.provider == "gcp" for t in folder_targets)


def test_organization_listing_denied_raises(fake: GcpFake) -> None:
    fake.fail(
        "/cloudresourcemanager/v3/projects", 403, "caller lacks resourcemanager.projects.list"
    )

    with pytest.raises(GcpApiError, match="403"):
        _connect(fake, organization="organizations/77").targets()


def test_clients_are_built_lazily_and_cached(fake: GcpFake) -> None:
    connection = _connect(fake, accounts=(PROJECT,))

    assert connection._clients == {} and connection._session is None
    first = connection.compute("InstancesClient")
    assert connection.compute("InstancesClient") is first
    assert connection.session() is connection.session()
    assert connection.regions == DEFAULT_REGIONS


def test_base_urls_real_and_through_an_endpoint_keep_the_regional_host() -> None:
    real = GcpConnection(ProviderConfig(), credentials=object())
    local = GcpConnection(ProviderConfig(endpoint_url="http://127.0.0.1:1/"), credentials=object())

    assert real.base_url("aiplatform", "europe-west4") == (
        "https://europe-west4-aiplatform.googleapis.com/v1"
    )
    assert real.base_url("notebooks") == "https://notebooks.googleapis.com/v2"
    assert local.base_url("aiplatform", "europe-west4") == (
        "http://127.0.0.1:1/europe-west4-aiplatform.googleapis.com/v1"
    )
    assert local.base_url("monitoring") == "http://127.0.0.1:1/monitoring.googleapis.com/v3"


def test_targets_default_to_the_credentials_project(fake: GcpFake) -> None:
    # The service-account key the fixture wrote names its project.
    assert _connect(fake).targets() == [Target("gcp", "offhours-local")]


def test_a_refused_token_fails_discovery_with_the_token_endpoint_error(
    fake: GcpFake, clock: Any
) -> None:
    from google.auth.exceptions import RefreshError
    from google.oauth2 import service_account

    from providers.base import AdapterOptions
    from providers.gcp.workbench import WorkbenchInstances

    key = {**fake.service_account_info(), "client_email": "intruder@elsewhere.example"}
    credentials = service_account.Credentials.from_service_account_info(key, scopes=SCOPES)
    config = ProviderConfig(accounts=(PROJECT,), endpoint_url=fake.url)
    adapter = WorkbenchInstances(GcpConnection(config, credentials), AdapterOptions(clock=clock))

    with pytest.raises(RefreshError, match="unknown issuer"):
        list(adapter.discover(Target("gcp", PROJECT)))
    assert fake.requests == []  # no API request went out without a token
