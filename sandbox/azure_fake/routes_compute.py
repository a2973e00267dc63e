"""Microsoft.Compute: virtual machines and scale sets (api-version 2026-04-01).

- ``GET /subscriptions/{s}/providers/Microsoft.Compute/virtualMachines`` (List All; with
  ``statusOnly=true`` only the run-time status: no tags, no hardware profile, as Azure does)
- ``GET .../resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines[/{vm}]``
  (``$expand=instanceView`` on get), ``GET .../virtualMachines/{vm}/instanceView``
- ``POST .../virtualMachines/{vm}/deallocate|start|powerOff`` -> 202 + async operation
  (``deallocate`` of a VM with an ephemeral OS disk: 409 ``OperationNotAllowed``)
- ``GET /subscriptions/{s}/providers/Microsoft.Compute/virtualMachineScaleSets`` (List All),
  ``GET|PATCH .../virtualMachineScaleSets/{name}`` (update: ``sku.capacity``, ``tags``)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox.azure_fake import contract, routes_insights
from sandbox.azure_fake.model import FakeScaleSet, FakeVm
from sandbox.azure_fake.wire import RG, SUB, FakeError, Request, Response, not_found, page, route

if TYPE_CHECKING:
    from sandbox.azure_fake.server import AzureFake

NS = "Microsoft.Compute"
VM = RG + r"/providers/Microsoft\.Compute/virtualMachines/(?P<name>[^/]+)"
VMSS = RG + r"/providers/Microsoft\.Compute/virtualMachineScaleSets/(?P<name>[^/]+)"

# action -> (state while the operation runs, state when it completes)
_VM_ACTIONS = {
    "deallocate": ("deallocating", "deallocated"),
    "start": ("starting", "running"),
    "poweroff": ("stopping", "stopped"),
}


def _vms_in(fake: AzureFake, req: Request) -> list[FakeVm]:
    sub, rg = req.params["sub"].lower(), req.params.get("rg", "").lower()
    return [
        vm
        for key, vm in sorted(fake.vms.items())
        if vm.subscription.lower() == sub and (not rg or vm.resource_group.lower() == rg)
    ]


def _vm(fake: AzureFake, req: Request) -> FakeVm:
    p = req.params
    key = f"/subscriptions/{p['sub']}/resourceGroups/{p['rg']}/providers/{NS}/virtualMachines/"
    vm = fake.vms.get(f"{key}{p['name']}".lower())
    if vm is None:
        raise not_found(f"{NS}/virtualMachines", p["name"], p["rg"])
    return vm


def list_vms(fake: AzureFake, req: Request) -> Response:
    contract.check_boolean_query(req.query, "statusOnly")
    vms = _vms_in(fake, req)
    if req.query.get("statusOnly", "").lower() == "true":
        return page(req, [vm.render_status_only() for vm in vms], fake.page_size)
    return page(req, [vm.render() for vm in vms], fake.page_size)


def get_vm(fake: AzureFake, req: Request) -> Response:
    contract.check_vm_expand(req.query)
    expand = req.query.get("$expand", "").lower() == "instanceview"
    return Response(200, _vm(fake, req).render(with_instance_view=expand))


def instance_view(fake: AzureFake, req: Request) -> Response:
    return Response(200, _vm(fake, req).instance_view())


def vm_action(fake: AzureFake, req: Request) -> Response:
    vm = _vm(fake, req)
    action = req.params["action"].lower()
    contract.check_action_body(req.body, action)
    contract.check_boolean_query(req.query, "hibernate")
    running, final = _VM_ACTIONS[action]
    fault = fake.check_fault(vm.name, action)
    if action == "deallocate" and vm.ephemeral_placement:
        # Microsoft Learn, "Ephemeral OS disks": stop-deallocate is not supported.
        raise FakeError(
            409,
            "OperationNotAllowed",
            f"Operation 'deallocate' is not supported for VM '{vm.name}' because it uses an "
            "ephemeral OS disk.",
        )
    hibernate = req.query.get("hibernate", "").lower() == "true"
    if hibernate and not vm.hibernation_enabled:
        raise FakeError(
            409,
            "OperationNotAllowed",
            "Hibernation cannot be performed on the VM because it is not enabled for it.",
        )
    before = vm.power_state
    vm.power_state = running

    def complete() -> None:
        vm.power_state = final
        vm.hibernated = hibernate and final == "deallocated"
        vm.provisioning_time = fake.clock()

    def revert() -> None:
        vm.power_state = before

    fake.events.append(("power", vm.id, action))
    op = fake.begin_operation(NS, vm.subscription, vm.location, fault, complete, revert)
    return fake.accepted(req, op)


def _scale_set(fake: AzureFake, req: Request) -> FakeScaleSet:
    p = req.params
    key = f"/subscriptions/{p['sub']}/resourceGroups/{p['rg']}/providers/{NS}"
    vmss = fake.scale_sets.get(f"{key}/virtualMachineScaleSets/{p['name']}".lower())
    if vmss is None:
        raise not_found(f"{NS}/virtualMachineScaleSets", p["name"], p["rg"])
    return vmss


def list_scale_sets(fake: AzureFake, req: Request) -> Response:
    sub, rg = req.params["sub"].lower(), req.params.get("rg", "").lower()
    items = [
        s.render()
        for _, s in sorted(fake.scale_sets.items())
        if s.subscription.lower() == sub and (not rg or s.resource_group.lower() == rg)
    ]
    return page(req, items, fake.page_size)


def get_scale_set(fake: AzureFake, req: Request) -> Response:
    return Response(200, _scale_set(fake, req).render())


def update_scale_set(fake: AzureFake, req: Request) -> Response:
    """PATCH semantics: ``tags`` replaces the whole tag set; ``sku.capacity`` rescales."""
    vmss = _scale_set(fake, req)
    contract.check_scale_set_update(req.body)
    fault = fake.check_fault(vmss.name, "update")
    tags = req.body.get("tags")
    capacity = (req.body.get("sku") or {}).get("capacity")
    before = (dict(vmss.tags), vmss.capacity)
    if tags is not None:
        vmss.tags = {str(k): str(v) for k, v in tags.items()}
        fake.events.append(("tags", vmss.id, dict(vmss.tags)))
    if capacity is not None:
        vmss.capacity = capacity
        fake.events.append(("capacity", vmss.id, capacity))
    vmss.provisioning_state = "Updating"

    def complete() -> None:
        vmss.provisioning_state = "Succeeded"
        routes_insights.enforce_minimum(fake, vmss)

    def revert() -> None:
        vmss.tags, vmss.capacity = before
        vmss.provisioning_state = "Failed"

    op = fake.begin_operation(NS, vmss.subscription, vmss.location, fault, complete, revert)
    return Response(200, vmss.render(), fake.operation_headers(req, op))


ROUTES = [
    route("GET", SUB + r"/providers/Microsoft\.Compute/virtualMachines", list_vms),
    route("GET", RG + r"/providers/Microsoft\.Compute/virtualMachines", list_vms),
    route("GET", VM, get_vm),
    route("GET", VM + r"/instanceView", instance_view),
    route("POST", VM + r"/(?P<action>deallocate|start|powerOff)", vm_action),
    route("GET", SUB + r"/providers/Microsoft\.Compute/virtualMachineScaleSets", list_scale_sets),
    route("GET", RG + r"/providers/Microsoft\.Compute/virtualMachineScaleSets", list_scale_sets),
    route("GET", VMSS, get_scale_set),
    route("PATCH", VMSS, update_scale_set),
]
