"""Virtual machines against the ARM fake: deallocate (never power off), start, failures."""

from __future__ import annotations

import ast
from pathlib import Path

from azure_testkit import NOW, OFFICE, SUB, by_name, decide, target

from providers.azure.vms import VirtualMachines
from providers.base import Action, Outcome, ResourceState


def seed(fake, **overrides):
    fake.add_vm(SUB, "rg", "dev-1", "Standard_D2s_v5", "westeurope", OFFICE)
    fake.add_vm(SUB, "rg", "dev-2", "Standard_D4s_v5", "westeurope", {"Schedule": "office-hours"})
    fake.add_vm(SUB, "rg", "parked", "Standard_B2s", "eastus", OFFICE, power_state="deallocated")
    fake.add_vm(
        SUB, "rg", "powered-off", "Standard_E4s_v5", "eastus", OFFICE, power_state="stopped"
    )
    fake.add_vm(SUB, "rg", "untagged", "Standard_D2s_v5", "westeurope", {"team": "web"})


def test_discover_joins_tags_and_power_state_across_pages(fake, build):
    fake.page_size = 2
    seed(fake)
    found = by_name(build(VirtualMachines).discover(target()))
    assert set(found) == {"dev-1", "dev-2", "parked", "powered-off"}
    assert found["dev-1"].state is ResourceState.RUNNING
    assert found["dev-1"].size == "Standard_D2s_v5"
    assert found["dev-1"].region == "westeurope"
    assert found["dev-1"].started_at is not None
    assert found["dev-2"].tags["schedule"] == "office-hours"  # tag names are case-insensitive
    assert found["parked"].state is ResourceState.STOPPED
    assert found["parked"].started_at is None
    assert found["dev-1"].price is not None and found["dev-1"].price.hourly > 0
    assert found["dev-1"].service == "Virtual Machines"


def test_powered_off_vm_counts_as_running_for_billing(fake, build):
    seed(fake)
    found = by_name(build(VirtualMachines).discover(target()))
    assert found["powered-off"].state is ResourceState.RUNNING
    assert found["powered-off"].extra["power_state"] == "stopped"


def test_stop_deallocates_and_never_powers_off(fake, build):
    seed(fake)
    vms = build(VirtualMachines)
    running = [r for r in vms.discover(target()) if r.state is ResourceState.RUNNING]
    results = list(vms.apply(decide(running, Action.STOP), dry_run=False))
    assert [r.outcome for r in results] == [Outcome.DONE] * 3
    for name in ("dev-1", "dev-2", "powered-off"):
        assert fake.vm(name).power_state == "deallocated"
    assert not [p for m, p in fake.requests if p.lower().endswith("/poweroff")]
    assert all(r.at == NOW for r in results)


def test_powered_off_but_allocated_vm_ends_deallocated(fake, build):
    fake.add_vm(SUB, "rg", "guest-shutdown", "Standard_D2s_v5", "westeurope", OFFICE, "stopped")
    vms = build(VirtualMachines)
    (resource,) = vms.discover(target())
    (result,) = vms.apply(decide([resource], Action.STOP), dry_run=False)
    assert result.outcome is Outcome.DONE
    assert "powered off but still allocated" in result.detail
    assert fake.vm("guest-shutdown").power_state == "deallocated"
    assert build(VirtualMachines).discover(target())[0].state is ResourceState.STOPPED


def test_start_starts_deallocated_vms(fake, build):
    seed(fake)
    vms = build(VirtualMachines)
    parked = [r for r in vms.discover(target()) if r.state is ResourceState.STOPPED]
    (result,) = vms.apply(decide(parked, Action.START), dry_run=False)
    assert result.outcome is Outcome.DONE
    assert fake.vm("parked").power_state == "running"


def test_one_failing_vm_does_not_block_the_others(fake, build):
    seed(fake)
    fake.fail_action("dev-1", "deallocate", code="OperationNotAllowed", message="locked")
    fake.fail_action("dev-2", "deallocate", asynchronous=True, code="InternalError")
    vms = build(VirtualMachines)
    running = [r for r in vms.discover(target()) if r.state is ResourceState.RUNNING]
    results = {r.resource.name: r for r in vms.apply(decide(running, Action.STOP), False)}
    assert results["dev-1"].outcome is Outcome.FAILED
    assert results["dev-1"].error == "OperationNotAllowed: locked"
    assert results["dev-2"].outcome is Outcome.FAILED
    assert results["dev-2"].error.startswith("InternalError")
    assert results["powered-off"].outcome is Outcome.DONE
    assert fake.vm("dev-1").power_state == "running"
    assert fake.vm("dev-2").power_state == "running"
    assert fake.vm("powered-off").power_state == "deallocated"


def test_skip_and_unsupported_actions_are_results(fake, build):
    seed(fake)
    vms = build(VirtualMachines)
    resource = by_name(vms.discover(target()))["dev-1"]
    skip, scale = decide([resource], Action.SKIP) + decide([resource], Action.SCALE_DOWN)
    results = list(vms.apply([skip, scale], dry_run=False))
    assert [r.outcome for r in results] == [Outcome.SKIPPED, Outcome.FAILED]
    assert results[1].error == "vms cannot scale-down"
    assert fake.vm("dev-1").power_state == "running"


def test_dry_run_changes_nothing(fake, build):
    seed(fake)
    vms = build(VirtualMachines)
    running = [r for r in vms.discover(target()) if r.state is ResourceState.RUNNING]
    fake.clear_requests()
    results = list(vms.apply(decide(running, Action.STOP), dry_run=True))
    assert {r.outcome for r in results} == {Outcome.DRY_RUN}
    assert fake.requests == []
    assert fake.vm("dev-1").power_state == "running"


def test_hibernate_when_enabled_else_plain_deallocate(fake, build):
    fake.add_vm(SUB, "rg", "can", "Standard_D2s_v5", "westeurope", OFFICE, hibernation_enabled=True)
    fake.add_vm(SUB, "rg", "cannot", "Standard_D2s_v5", "westeurope", OFFICE)
    vms = build(VirtualMachines)
    found = vms.discover(target())
    from dataclasses import replace

    decisions = [replace(d, hibernate=True) for d in decide(found, Action.STOP)]
    results = {r.resource.name: r for r in vms.apply(decisions, dry_run=False)}
    assert results["can"].detail == "hibernated (deallocated)"
    assert "hibernation is not enabled" in results["cannot"].detail
    assert fake.vm("can").hibernated and fake.vm("can").power_state == "deallocated"
    assert fake.vm("cannot").power_state == "deallocated"


def test_operations_still_running_at_the_deadline_are_accepted(fake, build, connection):
    seed(fake)
    vms = build(VirtualMachines)
    running = [r for r in vms.discover(target()) if r.state is ResourceState.RUNNING]
    for resource in running:
        fake.hold_action(resource.name, "deallocate")
    connection.lro_timeout = 0.0  # the deadline has passed once the requests are sent
    results = list(vms.apply(decide(running, Action.STOP), dry_run=False))
    assert {r.outcome for r in results} == {Outcome.ACCEPTED}
    assert all("accepted, still in progress" in r.detail for r in results)
    assert fake.vm("dev-1").power_state == "deallocating"
    again = by_name(build(VirtualMachines).discover(target()))
    assert again["dev-1"].state is ResourceState.TRANSITIONAL  # the next run leaves it alone
    fake.settle()
    assert fake.vm("dev-1").power_state == "deallocated"


def test_no_code_path_can_power_off_a_vm():
    """Only docstrings may mention power-off: no call, attribute, name or string in code."""
    source = Path(__file__).parents[2] / "providers" / "azure"
    for path in source.glob("*.py"):
        tree = ast.parse(path.read_text())
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                words = node.attr
            elif isinstance(node, ast.Name):
                words = node.id
            elif isinstance(node, ast.Constant) and id(node) not in docstrings:
                words = str(node.value)
            else:
                continue
            squashed = words.lower().replace("_", "").replace("-", "")
            assert "poweroff" not in squashed, f"{path.name}:{node.lineno}: {words}"


def test_scale_set_members_are_unmanaged(fake, build):
    vmss_id = fake.add_scale_set(SUB, "rg", "flex", "Standard_D2s_v5", "westeurope", {}, 1).id
    fake.add_vm(SUB, "rg", "flex_1", "Standard_D2s_v5", "westeurope", OFFICE, scale_set_id=vmss_id)
    (member,) = build(VirtualMachines).discover(target())
    assert member.unmanaged_reason.startswith("member of scale set")


def test_a_subscription_without_tagged_vms_needs_no_status_listing(fake, build):
    fake.add_vm(SUB, "rg", "untagged", "Standard_D2s_v5", "westeurope", {"team": "web"})

    assert build(VirtualMachines).discover(target()) == []
    assert len([p for m, p in fake.requests if p.endswith("/virtualMachines")]) == 1


def test_a_vm_deleted_since_discovery_is_a_failed_result(fake, build):
    seed(fake)
    adapter = build(VirtualMachines)
    dev = by_name(adapter.discover(target()))["dev-1"]
    with fake.lock:
        del fake.vms[dev.id.lower()]

    (result,) = adapter.apply(decide([dev], Action.STOP), dry_run=False)

    assert result.outcome is Outcome.FAILED and "ResourceNotFound" in result.error
    assert fake.vm("dev-2").power_state == "running"
