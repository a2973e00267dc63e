"""The ARM fake refuses requests outside the published REST contracts (enums, ranges,
known members), as Azure does; every adapter test passing through it shows the adapters
send none. Sources: ``sandbox/azure_fake/contract.py`` (Compute 2025-04-01
``virtualMachine.json``/``virtualMachineScaleSet.json``, Container Service 2025-05-01
``managedClusters.json``)."""

from __future__ import annotations

from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure_testkit import OFFICE, SUB

COMPUTE = "2026-04-01"
AKS = "2025-05-01"


def _refused(call: Any) -> tuple[int, str]:
    with pytest.raises(HttpResponseError) as caught:
        call()
    assert caught.value.error is not None
    return caught.value.status_code, str(caught.value.error.code)


def test_a_vm_expand_outside_the_enum_is_refused(fake, connection):
    fake.add_vm(SUB, "rg", "vm", "Standard_D2s_v5", "eastus", OFFICE)
    vms = connection.compute(SUB).virtual_machines
    assert _refused(lambda: vms.get("rg", "vm", expand="everything")) == (400, "InvalidParameter")
    assert vms.get("rg", "vm", expand="instanceView").name == "vm"


def test_a_power_action_with_a_body_or_a_bad_flag_is_refused(fake, connection):
    vm = fake.add_vm(SUB, "rg", "vm", "Standard_D2s_v5", "eastus", OFFICE)
    arm = connection.arm()
    with_body = lambda: arm.begin("POST", f"{vm.id}/deallocate", COMPUTE, {"hibernate": True})  # noqa: E731
    bad_flag = lambda: arm.begin("POST", f"{vm.id}/deallocate?hibernate=yes", COMPUTE)  # noqa: E731
    assert _refused(with_body) == (400, "InvalidRequestContent")
    assert _refused(bad_flag) == (400, "InvalidParameter")
    assert fake.vm("vm").power_state == "running"


def test_a_scale_set_update_outside_its_schema_is_refused(fake, connection):
    vmss = fake.add_scale_set(SUB, "rg", "ss", "Standard_D2s_v5", "eastus", OFFICE, capacity=2)
    arm = connection.arm()
    unknown = lambda: arm.begin("PATCH", vmss.id, COMPUTE, {"capacity": 0})  # noqa: E731
    negative = lambda: arm.begin("PATCH", vmss.id, COMPUTE, {"sku": {"capacity": -1}})  # noqa: E731
    assert _refused(unknown) == (400, "InvalidRequestContent")
    assert _refused(negative) == (400, "InvalidParameter")
    assert fake.scale_set("ss").capacity == 2


@pytest.mark.parametrize(
    "change",
    [{"mode": "Primary"}, {"type": "Containers"}, {"count": 1001}, {"enableAutoScaling": "yes"}],
)
def test_an_agent_pool_put_outside_the_enums_or_range_is_refused(fake, connection, change):
    cluster = fake.add_aks(SUB, "rg", "k", "eastus", OFFICE)
    props = {"count": 0, "vmSize": "Standard_D4s_v5", "mode": "User", **change}
    put = lambda: connection.arm().begin(  # noqa: E731
        "PUT", f"{cluster.id}/agentPools/user", AKS, {"properties": props}
    )
    assert _refused(put) == (400, "InvalidParameter")
    assert fake.aks("k").pools["user"].count == 2


def test_an_agent_pool_put_without_properties_is_refused(fake, connection):
    cluster = fake.add_aks(SUB, "rg", "k", "eastus", OFFICE)
    put = lambda: connection.arm().begin(  # noqa: E731
        "PUT", f"{cluster.id}/agentPools/user", AKS, {"count": 0}
    )
    assert _refused(put) == (400, "InvalidRequestContent")
    assert fake.aks("k").pools["user"].count == 2
