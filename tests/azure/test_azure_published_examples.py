"""Azure's published example responses (the ``x-ms-examples`` of the REST API specs, in
``examples/``, sources in ``examples/SOURCES.md``), answered by the fake and read through
the real SDK clients and the adapters' own parsers: what offhours reads from Azure's
shapes, not only from the fake's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from azure_testkit import OFFICE

from providers.azure.aks import AksClusters
from providers.azure.limits import EPHEMERAL_OS_DISK
from providers.azure.ml_compute import MlComputeInstances
from providers.azure.scale_sets import ScaleSets
from providers.azure.vms import VirtualMachines, power_state
from providers.base import Action, Decision, Outcome, ResourceState, Target
from sandbox.azure_fake import FakeAgentPool

EXAMPLES = Path(__file__).parent / "examples"


def example(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((EXAMPLES / name).read_text())
    # A published nextLink is a placeholder ("https://management.azure.com/####..."): a
    # client following it would leave the fake.
    body.pop("nextLink", None)
    return body


def _vm_list_path(subscription: str) -> str:
    return f"/subscriptions/{subscription}/providers/Microsoft.Compute/virtualMachines"


def test_listed_vms_are_read_from_the_published_list(fake, build):
    """``VirtualMachines_ListByLocation`` example (Compute 2025-04-01): id, name, size,
    region and tags come through; a managed OS disk leaves the VM schedulable."""
    sub = "00000000-0000-4000-8000-0000000000e1"
    body = example("VirtualMachine_ListBySubscription_ByLocation.json")
    for item in body["value"]:
        item["tags"].update(OFFICE)  # discovery lists tagged VMs only
    fake.add_subscription(sub)
    fake.replay("GET", _vm_list_path(sub), body)

    (vm,) = build(VirtualMachines).discover(Target("azure", sub))

    assert vm.name == "{virtualMachineName}" and vm.size == "Standard_A0"
    assert (vm.region, vm.tags["testtag"]) == ("eastus", "1")
    assert vm.unmanaged_reason == ""
    # The example carries no instance view: the power state is unknown, so nothing acts.
    assert vm.state is ResourceState.TRANSITIONAL


def test_an_ephemeral_os_disk_in_the_published_shape_is_left_alone(fake, build):
    """``VirtualMachines_CreateOrUpdate`` example "Create a vm with ephemeral os disk
    provisioning in Cache disk using placement property" (Compute 2025-04-01), listed: the
    adapter reads ``diffDiskSettings.option = Local`` and skips the VM."""
    sub = "00000000-0000-4000-8000-0000000000e2"
    vm_body = example("VirtualMachine_Create_WithADiffOsDiskUsingDiffDiskPlacementAsCacheDisk.json")
    vm_body["tags"] = dict(OFFICE)
    fake.add_subscription(sub)
    fake.replay("GET", _vm_list_path(sub), {"value": [vm_body]})

    (vm,) = build(VirtualMachines).discover(Target("azure", sub))

    assert vm.name == "myVM" and vm.size == "Standard_DS1_v2"
    assert vm.unmanaged_reason == EPHEMERAL_OS_DISK


def test_the_power_state_is_read_from_the_published_instance_view(fake, connection):
    """``VirtualMachines_InstanceView`` example (Compute 2025-04-01): ``PowerState/running``
    and the provisioning time (the grace period's start) come through ``power_state``."""
    sub = "00000000-0000-4000-8000-0000000000e3"
    fake.add_subscription(sub)
    path = f"/subscriptions/{sub}/resourceGroups/myResourceGroup/providers/Microsoft.Compute"
    fake.replay("GET", f"{path}/virtualMachines/myVM/instanceView",
                example("VirtualMachine_Get_InstanceView.json"))  # fmt: skip

    view = connection.compute(sub).virtual_machines.instance_view("myResourceGroup", "myVM")
    power, provisioned_at = power_state(view)

    assert power == "running"
    assert provisioned_at is not None and provisioned_at.isoformat().startswith("2019-10-14T21:30")


def test_clusters_are_read_from_the_published_list(fake, build):
    """``ManagedClusters_List`` example (Container Service 2025-05-01, the api-version the
    adapter sends): pools and sizes come through; the example has no ``powerState``, so
    the cluster counts as transitional and is left alone; a pool without ``type`` is a
    scale set (the documented default), so nothing refuses a stop."""
    sub = "00000000-0000-0000-0000-000000000000"
    fake.add_subscription(sub)
    fake.replay("GET", f"/subscriptions/{sub}/providers/Microsoft.ContainerService/managedClusters",
                example("ManagedClustersList.json"))  # fmt: skip

    (cluster,) = build(AksClusters).inventory(Target("azure", sub))

    assert cluster.name == "clustername1" and cluster.region == "location1"
    assert cluster.size == "nodepool1=3xStandard_DS1_v2"
    assert cluster.state is ResourceState.TRANSITIONAL
    assert cluster.unmanaged_reason == ""


def test_an_autoscale_setting_is_read_from_the_published_list(fake, build):
    """``AutoscaleSettings_ListByResourceGroup`` example (Insights 2022-10-01), answered for
    the subscription list the adapter calls (same item shape): its minimum (a string, "1")
    keeps the scale set it targets (``testingsc``) from being scaled to 0."""
    sub = "b67f7fec-69fc-4974-9099-a26bd6ffeda3"
    fake.add_scale_set(sub, "TestingMetricsScaleSet", "testingsc", "Standard_D2s_v5",
                       "westus", OFFICE, capacity=3)  # fmt: skip
    fake.replay("GET", f"/subscriptions/{sub}/providers/Microsoft.Insights/autoscalesettings",
                example("listAutoscaleSetting.json"))  # fmt: skip

    (vmss,) = build(ScaleSets).discover(Target("azure", sub))

    assert vmss.unmanaged_reason == (
        "autoscale setting MySetting keeps at least 1 instance: "
        "set its minimum to 0 or disable it to schedule this scale set"
    )


def test_scale_sets_are_read_from_the_published_list(fake, build):
    """``VirtualMachineScaleSets_ListAll`` example (Compute 2025-04-01): SKU name, capacity
    and a lowercase ``provisioningState`` ("succeeded") come through; an ephemeral OS disk
    does not stop a scale set going to 0 (its instances are deleted, as at any scale-in)."""
    sub = "00000000-0000-4000-8000-0000000000e4"
    body = example("VirtualMachineScaleSet_ListAll_MaximumSet_Gen.json")
    body["value"][0]["tags"].update(OFFICE)
    fake.add_subscription(sub)
    fake.replay("GET", f"/subscriptions/{sub}/providers/Microsoft.Compute/virtualMachineScaleSets",
                body)  # fmt: skip

    (vmss,) = build(ScaleSets).discover(Target("azure", sub))

    assert (vmss.size, vmss.extra["capacity"]) == ("Standard_D1_v2", "3")
    assert vmss.state is ResourceState.RUNNING and vmss.unmanaged_reason == ""


def test_agent_pools_from_the_published_list_go_to_zero_and_back(fake, build):
    """``AgentPools_List`` example (Container Service 2025-01-01; the adapter sends
    2025-05-01, same shape): a pool without ``mode`` is a user pool (the documented default),
    its count is saved and the pool is scaled to 0 (the PUT, built from the example's
    properties, passes the fake's contract checks); the restore brings back the example's
    count of 3."""
    sub = "00000000-0000-0000-0000-000000000000"
    cluster = fake.add_aks(sub, "rg1", "clustername1", "location1",
                           {**OFFICE, "offhours-aks-mode": "nodepools"},
                           pools=[FakeAgentPool("agentpool1", 3, "Standard_DS1_v2")])  # fmt: skip
    fake.replay("GET", f"{cluster.id}/agentPools", example("AgentPoolsList.json"))
    adapter = build(AksClusters)
    (found,) = adapter.discover(Target("azure", sub))

    (down,) = adapter.apply([Decision(found, Action.SCALE_DOWN, "test")], dry_run=False)
    assert down.outcome is Outcome.DONE, down.error
    assert fake.aks("clustername1").pools["agentpool1"].count == 0
    (scaled,) = adapter.discover(Target("azure", sub))
    (up,) = adapter.apply([Decision(scaled, Action.SCALE_UP, "test")], dry_run=False)
    assert up.outcome is Outcome.DONE, up.error
    assert fake.aks("clustername1").pools["agentpool1"].count == 3


def test_a_compute_instance_is_read_from_the_published_example(fake, build):
    """``Compute_Get`` example for a compute instance (MachineLearningServices 2024-04-01),
    listed in its workspace: type, size and ``state: Running`` come through, and the
    workspace's schedule tag applies to it."""
    sub = "34adfa4f-cedf-4dc0-ba29-b6d1a69ab345"
    other = fake.add_ml_compute(sub, "testrg123", "workspaces123", "unused", "Standard_DS3_v2",
                                "eastus2", workspace_tags=OFFICE)  # fmt: skip
    fake.replay("GET", f"{other.workspace.id}/computes",
                {"value": [example("ComputeInstance_get.json")]})  # fmt: skip

    (compute,) = build(MlComputeInstances).discover(Target("azure", sub))

    assert compute.name == "workspaces123/compute123" and compute.size == "STANDARD_NC6"
    assert compute.state is ResourceState.RUNNING and compute.unmanaged_reason == ""
    assert compute.tags["schedule"] == OFFICE["schedule"]


def test_subscriptions_are_read_from_the_published_list(fake, connection):
    """``Subscriptions_List`` example (Resources 2022-12-01): both enabled subscriptions
    become targets (the example's ``nextLink`` is a placeholder, dropped)."""
    fake.replay("GET", "/subscriptions", example("GetSubscriptions.json"))

    targets = connection.targets()

    assert [t.account for t in targets] == [
        "291bba3f-e0a5-47bc-a099-3bdcb2a50a05",
        "72ac930a-f34e-42d8-b06d-dc2a9e12ed71",
    ]
