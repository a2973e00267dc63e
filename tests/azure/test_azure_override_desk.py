"""The snooze function's Azure side against the ARM fake: reading one resource live,
merging the override tag through Tags - Update At Scope, and the key from Key Vault."""

from __future__ import annotations

import pytest
from azure_testkit import OFFICE, SUB, SUB2

from providers.azure import secrets
from providers.azure.override_tag import PERMISSIONS, AzureOverrideDesk
from providers.override_desk import CannotSnooze, DeskError, ResourceNotFound

OVERRIDE = "schedule-override"


@pytest.fixture
def desk(connection):
    return AzureOverrideDesk(connection)


def test_a_vm_and_a_scale_set_get_the_override_beside_their_tags(fake, desk):
    vm = fake.add_vm(SUB, "rg", "dev", "Standard_D2s_v5", "westeurope", {**OFFICE, "team": "a"})
    vmss = fake.add_scale_set(SUB, "rg", "web", "Standard_D2s_v5", "westeurope", OFFICE)

    for item, kind in ((vm, "vms"), (vmss, "scale-sets")):
        resource = desk.read(SUB, "westeurope", kind, item.id)
        desk.write_override(resource, OVERRIDE, "running-until-2026-11-25T22:00Z")
        assert resource.tags["schedule"] == "office-hours"
        assert item.tags[OVERRIDE] == "running-until-2026-11-25T22:00Z"
    assert vm.tags["team"] == "a"  # merged, not replaced
    assert "Microsoft.Resources/tags/write" in PERMISSIONS


def test_what_cannot_be_snoozed_or_read_is_said_plainly(fake, desk):
    vm = fake.add_vm(SUB, "rg", "dev", "Standard_D2s_v5", "westeurope", OFFICE)
    missing = vm.id.replace("/dev", "/gone")

    with pytest.raises(CannotSnooze, match="'workbench'"):
        desk.read(SUB, "westeurope", "workbench", vm.id)
    with pytest.raises(ResourceNotFound, match="not an Azure resource id"):
        desk.read(SUB, "westeurope", "vms", "/providers/Microsoft.Compute/virtualMachines/x")
    with pytest.raises(CannotSnooze, match=f"names subscription {SUB2}"):
        desk.read(SUB2, "westeurope", "vms", vm.id)
    with pytest.raises(ResourceNotFound, match="no vms"):
        desk.read(SUB, "westeurope", "vms", missing)
    with pytest.raises(ResourceNotFound, match="no scale-sets"):
        desk.read(
            SUB,
            "westeurope",
            "scale-sets",
            missing.replace("virtualMachines", "virtualMachineScaleSets"),
        )
    fake.deny_subscription(SUB)
    with pytest.raises(DeskError, match="AuthorizationFailed"):
        desk.read(SUB, "westeurope", "aks", vm.id)


def test_a_refused_tag_write_changes_nothing(fake, desk):
    vm = fake.add_vm(SUB, "rg", "dev", "Standard_D2s_v5", "westeurope", OFFICE)
    resource = desk.read(SUB, "westeurope", "vms", vm.id)
    fake.fail_requests("/tags/default", 403, "AuthorizationFailed", "no tags/write", method="PATCH")

    with pytest.raises(DeskError, match="no tags/write"):
        desk.write_override(resource, OVERRIDE, "running-until-x")
    assert OVERRIDE not in vm.tags


def test_the_key_is_read_from_key_vault(fake, connection):
    fake.add_secret("snooze", "key", "s" * 40)
    fake.add_secret("snooze", "short", "tiny")
    vault = f"{fake.url}/vaults/snooze/secrets"

    assert secrets.read_key(f"{vault}/key", connection.credential, local=True) == b"s" * 40
    with pytest.raises(secrets.SecretError, match="shorter than 32 bytes"):
        secrets.read_key(f"{vault}/short", connection.credential, local=True)
    with pytest.raises(secrets.SecretError, match="cannot read the snooze key"):
        secrets.read_key(f"{vault}/missing", connection.credential, local=True)
    with pytest.raises(secrets.SecretError, match="not a Key Vault secret URL"):
        secrets.read_key(f"{fake.url}/vaults/snooze", connection.credential, local=True)
