"""Every Azure kind lists its untagged resources for the digest's opportunities, with the
accelerator flag decided from the VM size."""

from __future__ import annotations

from azure_testkit import OFFICE, SUB, target

from ledger.inventory import find_opportunities
from providers.azure.aks import AksClusters
from providers.azure.ml_compute import MlComputeInstances
from providers.azure.scale_sets import ScaleSets
from providers.azure.vms import VirtualMachines
from sandbox.azure_fake import FakeAgentPool


def test_untagged_resources_are_listed_with_their_accelerator_flag(fake, build):
    fake.add_ml_compute(SUB, "ml", "research", "ana-gpu", "Standard_NC6s_v3", "eastus")
    fake.add_vm(SUB, "rg", "dev-box", "Standard_B2s", "eastus")
    fake.add_vm(SUB, "rg", "scheduled", "Standard_B2s", "eastus", OFFICE)
    fake.add_scale_set(SUB, "rg", "render", "Standard_NV6ads_A10_v5", "eastus", capacity=2)
    fake.add_aks(SUB, "rg", "gpu-k8s", "eastus", {}, [FakeAgentPool("gpu", 1, "Standard_NC6s_v3")])

    adapters = [build(k) for k in (VirtualMachines, ScaleSets, MlComputeInstances, AksClusters)]
    listed = {r.name: r for a in adapters for r in a.inventory(target())}

    assert {name: r.accelerator for name, r in listed.items()} == {
        "dev-box": False,
        "scheduled": False,
        "render": True,
        "research/ana-gpu": True,
        "gpu-k8s": True,
    }
    assert [r.name for r in adapters[0].discover(target())] == ["scheduled"]
    found = {o.resource.name: o.why for o in find_opportunities(listed.values(), 55.0)}
    assert found == {
        "research/ana-gpu": "GPU notebook",
        "dev-box": "name looks non-production (dev)",
    }


def test_a_vm_deallocated_by_hand_since_discovery_is_skipped(fake, build):
    from azure_testkit import decide

    from providers.base import Action, Outcome

    fake.add_vm(SUB, "rg", "dev-web", "Standard_B2s", "eastus", OFFICE)
    adapter = build(VirtualMachines)
    found = adapter.discover(target())
    fake.vm("dev-web").power_state = "deallocated"  # someone was quicker

    (result,) = adapter.apply(decide(found, Action.STOP), dry_run=False)

    assert result.outcome is Outcome.SKIPPED
    assert result.detail == "already off: the VM is deallocated"
