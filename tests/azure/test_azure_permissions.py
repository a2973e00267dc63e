"""Least privilege: the custom role, the adapters' permissions and the calls really made."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from azure_rbac import rbac_action
from azure_testkit import NOW, OFFICE, SUB, decide, target

from providers.azure.aks import MODE_TAG, AksClusters
from providers.azure.connection import CONNECTION_PERMISSIONS, connect
from providers.azure.ml_compute import MlComputeInstances
from providers.azure.scale_sets import ScaleSets
from providers.azure.vms import VirtualMachines
from providers.base import Action, Outcome, ProviderConfig, ResourceState
from sandbox.azure_fake import AzureFake

DAY = timedelta(days=1)
ROLE = Path(__file__).parents[2] / "infra" / "azure" / "offhours-role.json"
ADAPTERS = (VirtualMachines, ScaleSets, MlComputeInstances, AksClusters)


def _role() -> dict:
    return json.loads(ROLE.read_text())


def test_role_covers_every_adapter_and_nothing_more():
    actions = {a.lower() for a in _role()["Actions"]}
    needed = {p.lower() for a in ADAPTERS for p in a.permissions}
    needed |= {p.lower() for p in CONNECTION_PERMISSIONS}
    assert needed <= actions, sorted(needed - actions)
    assert actions <= needed, f"role grants unused actions: {sorted(actions - needed)}"


def test_role_is_least_privilege_and_well_formed():
    role = _role()
    assert role["IsCustom"] is True and role["Name"]
    assert role["AssignableScopes"] == ["/subscriptions/00000000-0000-0000-0000-000000000000"]
    assert role["DataActions"] == [] and role["NotActions"] == []
    for action in role["Actions"]:
        assert "*" not in action, action
        assert "poweroff" not in action.lower(), "a powered-off VM still bills: deallocate only"
        assert not action.lower().endswith("/delete"), action


def _vms(fake: AzureFake) -> list[Action]:
    fake.add_vm(SUB, "rg", "on", "Standard_D2s_v5", "eastus", OFFICE)
    fake.add_vm(SUB, "rg", "off", "Standard_D2s_v5", "eastus", OFFICE, power_state="deallocated")
    # Idle-tagged: discovery reads its CPU through the batch metrics API.
    idle = {**OFFICE, "idle-stop": "2h", "idle-metric": "cpu"}
    fake.add_vm(SUB, "rg", "idle", "Standard_D2s_v5", "eastus", idle, started_at=NOW - 2 * DAY)
    return [Action.STOP, Action.START]


def _scale_sets(fake: AzureFake) -> list[Action]:
    fake.add_scale_set(SUB, "rg", "ss", "Standard_D2s_v5", "eastus", OFFICE, capacity=2)
    # An AKS node pool's scale set (untagged): its cluster is looked up, never scaled.
    cluster = fake.add_aks(SUB, "rg", "k", "eastus")
    fake.add_scale_set(SUB, cluster.node_resource_group, "aks-user-1-vmss", "Standard_D2s_v5",
                       "eastus", {"aks-managed-poolName": "user"})  # fmt: skip
    return [Action.SCALE_DOWN, Action.SCALE_UP]


def _ml(fake: AzureFake) -> list[Action]:
    # Idle-tagged too: its workspace's utilisation metrics are read.
    tags = {**OFFICE, "idle-stop": "2h"}
    fake.add_ml_compute(SUB, "rg", "ws", "ci", "Standard_DS3_v2", "eastus", tags)
    return [Action.STOP, Action.START]


def _aks(fake: AzureFake) -> list[Action]:
    fake.add_aks(SUB, "rg", "whole", "eastus", OFFICE)
    fake.add_aks(SUB, "rg", "pools", "eastus", {**OFFICE, MODE_TAG: "nodepools"})
    return [Action.STOP, Action.START, Action.SCALE_DOWN, Action.SCALE_UP]


# The state a resource is in when the action applies to it.
BEFORE = {
    Action.STOP: ResourceState.RUNNING,
    Action.START: ResourceState.STOPPED,
    Action.SCALE_DOWN: ResourceState.RUNNING,
    Action.SCALE_UP: ResourceState.SCALED_DOWN,
}
SCALING = {Action.SCALE_DOWN, Action.SCALE_UP}
SCENARIOS = {
    VirtualMachines: _vms,
    ScaleSets: _scale_sets,
    MlComputeInstances: _ml,
    AksClusters: _aks,
}


@pytest.mark.parametrize("adapter_class", ADAPTERS, ids=lambda c: c.kind)
def test_calls_made_are_exactly_the_permissions_declared(adapter_class, fake, options):
    """Every request of a full cycle maps into the adapter's permissions, and every
    permission the adapter declares is needed by some request."""
    actions = SCENARIOS[adapter_class](fake)
    adapter = adapter_class(connect(ProviderConfig(endpoint_url=fake.url)), options)
    for action in actions:
        found = [
            r
            for r in adapter.discover(target())
            if r.state is BEFORE[action]
            and (r.off_state is ResourceState.SCALED_DOWN) == (action in SCALING)
        ]
        assert found, (adapter_class.kind, action)
        results = list(adapter.apply(decide(found, action), dry_run=False))
        assert {r.outcome for r in results} == {Outcome.DONE}, [r.error for r in results]
    used = {rbac_action(method, path).lower() for method, path in fake.requests}
    declared = {p.lower() for p in adapter_class.permissions}
    assert used <= declared, sorted(used - declared)
    assert declared <= used, f"declared but never needed: {sorted(declared - used)}"


def test_listing_subscriptions_needs_only_the_connection_permission(fake):
    fake.add_subscription(SUB)
    connect(ProviderConfig(endpoint_url=fake.url)).targets()
    used = {rbac_action(method, path) for method, path in fake.requests}
    assert used == set(CONNECTION_PERMISSIONS)
