"""Connection, targets, a forbidden subscription, the registry and lazy SDK imports."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests
from azure.core.exceptions import HttpResponseError
from azure_testkit import NOW, OFFICE, SUB, SUB2, target

import providers
from providers.azure.aks import AksClusters
from providers.azure.connection import connect
from providers.azure.ml_compute import MlComputeInstances
from providers.azure.scale_sets import ScaleSets
from providers.azure.vms import VirtualMachines
from providers.base import AdapterOptions, ProviderConfig, Target

ADAPTERS = (VirtualMachines, ScaleSets, MlComputeInstances, AksClusters)


def test_targets_are_the_configured_subscriptions(fake):
    connection = connect(ProviderConfig(accounts=(SUB, SUB2), endpoint_url=fake.url))
    assert connection.targets() == [Target("azure", SUB), Target("azure", SUB2)]
    assert fake.requests == []  # no call needed


def test_targets_list_every_visible_subscription_across_pages(fake, build):
    fake.page_size = 2
    for i in range(5):
        fake.add_subscription(f"00000000-0000-4000-8000-00000000000{i}")
    connection = connect(ProviderConfig(endpoint_url=fake.url))
    assert len(connection.targets()) == 5
    assert ("GET", "/subscriptions") in fake.requests


def test_the_real_credential_chain_gets_its_token_from_the_fakes_tenant(fake):
    from azure.identity import DefaultAzureCredential

    connection = connect(ProviderConfig(endpoint_url=fake.url))
    assert isinstance(connection.credential, DefaultAzureCredential)
    token = connection.credential.get_token("https://management.azure.com/.default").token
    assert fake.tokens.valid(f"Bearer {token}")


def test_requests_without_a_bearer_token_are_refused(fake):
    url = f"{fake.url}/subscriptions?api-version=2022-12-01"
    for headers in ({}, {"Authorization": "Bearer not-issued-here"}):
        answer = requests.get(url, headers=headers, verify=str(fake.ca_file), timeout=10)
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "AuthenticationFailed"
        assert answer.headers["WWW-Authenticate"].startswith("Bearer ")


def test_an_unknown_api_version_is_refused_with_the_arm_error(fake):
    token = fake.tokens.issue()
    answer = requests.get(
        f"{fake.url}/subscriptions/{SUB}/providers/Microsoft.Compute/virtualMachines",
        params={"api-version": "2015-01-01"},
        headers={"Authorization": f"Bearer {token}"},
        verify=str(fake.ca_file),
        timeout=10,
    )
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "InvalidApiVersionParameter"
    assert "'2015-01-01' is invalid" in error["message"]


def test_a_forbidden_subscription_fails_alone(fake, build):
    """Discovery raises for a whole-target failure; the reconcile job isolates targets."""
    for sub in (SUB, SUB2):
        fake.add_vm(sub, "rg", f"vm-{sub[-1]}", "Standard_D2s_v5", "eastus", OFFICE)
        fake.add_scale_set(sub, "rg", f"ss-{sub[-1]}", "Standard_D2s_v5", "eastus", OFFICE)
        fake.add_ml_compute(sub, "rg", "ws", f"ci-{sub[-1]}", "Standard_DS3_v2", "eastus", OFFICE)
        fake.add_aks(sub, "rg", f"aks-{sub[-1]}", "eastus", OFFICE)
    fake.deny_subscription(SUB2)
    for adapter_class in ADAPTERS:
        adapter = build(adapter_class)
        with pytest.raises(HttpResponseError) as denied:
            adapter.discover(target(SUB2))
        assert denied.value.status_code == 403
        assert denied.value.error.code == "AuthorizationFailed"
        assert len(adapter.discover(target(SUB))) == 1


def test_regions_limit_discovery(fake, build, connection):
    fake.add_vm(SUB, "rg", "eu", "Standard_D2s_v5", "westeurope", OFFICE)
    fake.add_vm(SUB, "rg", "us", "Standard_D2s_v5", "eastus", OFFICE)
    connection.config = ProviderConfig(regions=("West Europe",), endpoint_url=fake.url)
    assert [r.name for r in build(VirtualMachines).discover(target())] == ["eu"]


def test_registry_lists_every_azure_adapter_and_the_blob_store():
    kinds = providers.KINDS["azure"]
    assert {providers.load(path) for path in kinds.values()} == set(ADAPTERS)
    for kind, path in kinds.items():
        assert providers.load(path).kind == kind
    assert providers.load(providers.CONNECTIONS["azure"]) is connect
    assert providers.load(providers.STORES["azblob"]).__name__ == "BlobStore"


def test_importing_the_adapters_imports_no_azure_sdk():
    code = (
        "import sys, providers.azure.vms, providers.azure.scale_sets, providers.azure.aks, "
        "providers.azure.ml_compute, providers.azure.blob_store, providers.azure.connection; "
        "print(sorted(m for m in sys.modules if m.startswith('azure')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_refused_client_secret_fails_the_first_call_not_the_connection(fake, monkeypatch):
    from azure.core.exceptions import ClientAuthenticationError

    monkeypatch.setenv("AZURE_CLIENT_SECRET", "not-the-secret")
    connection = connect(ProviderConfig(accounts=(SUB,), endpoint_url=fake.url))

    with pytest.raises(ClientAuthenticationError, match="Invalid client secret"):
        VirtualMachines(connection, AdapterOptions(clock=lambda: NOW)).discover(target())
    assert fake.requests == []  # nothing reached Resource Manager without a token


def test_a_credential_passed_in_is_used_as_it_is(fake):
    from azure.identity import ClientSecretCredential

    from sandbox.azure_fake.server import CLIENT_ID, CLIENT_SECRET, TENANT

    credential = ClientSecretCredential(
        TENANT, CLIENT_ID, CLIENT_SECRET, authority=fake.url, disable_instance_discovery=True
    )
    fake.add_vm(SUB, "rg", "dev", "Standard_D2s_v5", "westeurope", OFFICE)
    connection = connect(ProviderConfig(accounts=(SUB,), endpoint_url=fake.url), credential)

    assert connection.credential is credential
    found = VirtualMachines(connection, AdapterOptions(clock=lambda: NOW)).discover(target())
    assert [r.name for r in found] == ["dev"]
