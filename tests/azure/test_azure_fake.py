"""The fake itself: REST shapes, paging, LRO headers, faults, and the demo fleet."""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request

from azure_testkit import OFFICE, SUB, target

from providers.azure.aks import AksClusters
from providers.azure.ml_compute import MlComputeInstances
from providers.azure.scale_sets import ScaleSets
from providers.azure.vms import VirtualMachines
from providers.base import ResourceState
from sandbox.azure_fake import API_VERSIONS, routes_groups
from sandbox.azure_fake.demo import DEMO_SUBSCRIPTION, seed_demo_subscription


def _call(fake, method, path, query="api-version=2026-04-01"):
    """One request as a client holding a token of the fake's tenant sends it."""
    headers = {"Authorization": f"Bearer {fake.tokens.issue()}"}
    request = urllib.request.Request(
        f"{fake.url}{path}?{query}", method=method, data=b"", headers=headers
    )
    trust = ssl.create_default_context(cafile=str(fake.ca_file))
    try:
        with urllib.request.urlopen(request, context=trust) as response:
            body = response.read()
            return response.status, dict(response.headers), json.loads(body) if body else None
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), json.loads(err.read())


def test_lro_answers_202_with_async_operation_and_location(fake):
    fake.add_vm(SUB, "rg", "vm", "Standard_D2s_v5", "eastus", OFFICE)
    vm_path = (
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm"
    )
    status, headers, _ = _call(fake, "POST", f"{vm_path}/deallocate")
    assert status == 202
    assert (
        "/providers/Microsoft.Compute/locations/eastus/operations/"
        in headers["Azure-AsyncOperation"]
    )
    assert "monitor=true" in headers["Location"]
    assert fake.vm("vm").power_state == "deallocating"
    async_path = headers["Azure-AsyncOperation"].removeprefix(fake.url).split("?")[0]
    assert _call(fake, "GET", async_path)[2]["status"] == "InProgress"
    assert _call(fake, "GET", async_path)[2]["status"] == "Succeeded"
    assert fake.vm("vm").power_state == "deallocated"


def test_status_only_list_has_power_states_but_no_tags_and_pages(fake):
    fake.page_size = 1
    fake.add_vm(SUB, "rg", "a", "Standard_D2s_v5", "eastus", OFFICE)
    fake.add_vm(SUB, "rg", "b", "Standard_D2s_v5", "eastus", OFFICE, power_state="deallocated")
    path = f"/subscriptions/{SUB}/providers/Microsoft.Compute/virtualMachines"
    _, _, first = _call(fake, "GET", path, "api-version=2026-04-01&statusOnly=true")
    (vm,) = first["value"]
    assert "tags" not in vm and "hardwareProfile" not in vm["properties"]
    assert vm["properties"]["instanceView"]["statuses"][1]["code"] == "PowerState/running"
    assert "statusOnly=true" in first["nextLink"] and "api-version=2026-04-01" in first["nextLink"]
    next_path, _, query = first["nextLink"].removeprefix(fake.url).partition("?")
    _, _, second = _call(fake, "GET", next_path, query)
    assert second["value"][0]["name"] == "b" and "nextLink" not in second


def test_errors_have_the_arm_shape(fake):
    status, _, body = _call(
        fake, "GET", f"/subscriptions/{SUB}/providers/Microsoft.Compute/virtualMachines", ""
    )
    assert (status, body["error"]["code"]) == (400, "MissingApiVersionParameter")
    path = (
        f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/nope"
    )
    status, _, body = _call(fake, "GET", path)
    assert (status, body["error"]["code"]) == (404, "ResourceNotFound")
    fake.deny_subscription(SUB)
    status, _, body = _call(fake, "GET", path)
    assert (status, body["error"]["code"]) == (403, "AuthorizationFailed")


def test_the_clients_send_the_documented_api_versions(fake, build):
    fake.add_vm(SUB, "rg", "vm", "Standard_D2s_v5", "eastus", OFFICE)
    fake.add_ml_compute(SUB, "rg", "ws", "ci", "Standard_DS3_v2", "eastus", OFFICE)
    fake.add_aks(SUB, "rg", "aks", "eastus", OFFICE)
    fake.add_scale_set(SUB, "rg", "ss", "Standard_D2s_v5", "eastus", OFFICE)
    for adapter in (VirtualMachines, ScaleSets, MlComputeInstances, AksClusters):
        build(adapter).discover(target())
    assert fake.api_versions == {
        (ns, version) for ns, version in API_VERSIONS.items() if ns != "Microsoft.Resources"
    } | set(routes_groups.API_VERSIONS.items())


def test_demo_fleet_is_discovered_with_prices(fake, build):
    seed_demo_subscription(fake)
    demo = target(DEMO_SUBSCRIPTION)
    found = {
        r.name: r
        for adapter in (VirtualMachines, ScaleSets, MlComputeInstances, AksClusters)
        for r in build(adapter).discover(demo)
    }
    assert "jumpbox" not in found  # untagged
    assert found["build-agent"].state is ResourceState.RUNNING  # powered off, still billing
    assert found["prod-api-1"].tags["environment"] == "Prod"
    assert found["gpu-notebook-ana"].price is not None
    assert found["gpu-notebook-ana"].extra["hibernation"] == "true"
    assert found["ml-research/ana-t4"].tags["schedule"] == "office-hours"
    assert found["dev-workers"].state is ResourceState.RUNNING
    assert found["ml-aks"].off_state is ResourceState.SCALED_DOWN
    assert found["dev-aks"].off_state is ResourceState.STOPPED
    assert all(r.price is not None for r in found.values()), [
        n for n, r in found.items() if r.price is None
    ]


def test_the_fake_runs_on_the_callers_clock(options, monkeypatch):
    """The demo's simulated week: VM start times come from the clock the fake was given."""
    from azure_testkit import NOW

    from providers.azure.connection import connect
    from providers.base import ProviderConfig
    from sandbox.azure_fake import start_azure_fake

    with start_azure_fake(clock=lambda: NOW) as fake:
        for name, value in fake.credential_env().items():
            monkeypatch.setenv(name, value)
        fake.add_vm(SUB, "rg", "vm", "Standard_D2s_v5", "eastus", OFFICE)
        vms = VirtualMachines(connect(ProviderConfig(endpoint_url=fake.url)), options)
        (vm,) = vms.discover(target())
        assert vm.started_at == NOW
