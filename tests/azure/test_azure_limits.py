"""Azure's documented limits, one test each: the real adapters through the reconcile job,
against the ARM fake enforcing what the service refuses. Each test asserts the resource's
final state in the fake, the reason in the plan and the ledger rows (nothing booked for
what did not stop). The table these tests cover is ``docs/limits/azure.md``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from azure_testkit import OFFICE, SUB

from functions.jobs.reconcile import RunReport, reconcile
from functions.settings import Settings
from functions.wiring import build_job
from ledger.book import read_records
from providers.azure.limits import EPHEMERAL_OS_DISK
from providers.base import Action, Outcome
from sandbox.azure_fake import AzureFake, FakeAgentPool

EVENING = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)  # Wednesday, after office hours
MORNING = datetime(2026, 11, 26, 8, 30, tzinfo=UTC)  # Thursday, office hours began 08:00


def _settings(fake: AzureFake, tmp_path: Any, kind: str) -> Settings:
    return (
        Settings(providers=("azure",), ledger=str(tmp_path / "ledger"))
        .replace(azure_endpoint_url=fake.url)
        .replace(kinds=(kind,))
    )


def _run(fake: AzureFake, tmp_path: Any, kind: str, now: datetime) -> RunReport:
    return reconcile(build_job(_settings(fake, tmp_path, kind), clock=lambda: now))


def _rows(fake: AzureFake, tmp_path: Any, kind: str) -> list[dict[str, Any]]:
    """The rows that book or refuse something (still-off checkpoints left out)."""
    settings = _settings(fake, tmp_path, kind)
    records = read_records(build_job(settings, clock=lambda: EVENING).store)
    return [r for r in records if r["x_Action"] != "still-off"]


def _decision(report: RunReport, name: str) -> Any:
    (decision,) = [d for t in report.targets for d in t.decisions if d.resource.name == name]
    return decision


def _outcomes(report: RunReport) -> dict[str, Outcome]:
    return {r.resource.name: r.outcome for t in report.targets for r in t.results}


def _booked(rows: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """Every ledger row about ``name`` (none for what was left alone)."""
    return [r for r in rows if r["ResourceName"] == name]


def test_a_vm_with_an_ephemeral_os_disk_is_skipped_with_the_reason(fake, tmp_path):
    """Microsoft Learn, "Ephemeral OS disks" (its table: "Stop-deallocated state ... Not
    Supported") and "Frequently asked questions about Ephemeral OS disks" ("There's no option
    of Stop-Deallocate for Ephemeral VMs"); the OS disk's ``diffDiskSettings.option`` is
    ``Local`` (Compute REST API 2026-04-01, ``DiffDiskSettings``). The fake answers a
    deallocate of such a VM 409 ``OperationNotAllowed``; the adapter never sends one."""
    fake.add_vm(SUB, "rg", "ephemeral", "Standard_D4ds_v5", "westeurope", OFFICE,
                ephemeral_placement="ResourceDisk")  # fmt: skip
    fake.add_vm(SUB, "rg", "managed-disk", "Standard_D4ds_v5", "westeurope", OFFICE)

    evening = _run(fake, tmp_path, "vms", EVENING)
    morning = _run(fake, tmp_path, "vms", MORNING)

    skipped = _decision(evening, "ephemeral")
    assert skipped.action is Action.SKIP and skipped.reason == EPHEMERAL_OS_DISK
    assert _decision(evening, "managed-disk").action is Action.STOP
    assert fake.vm("ephemeral").power_state == "running"
    assert not [p for m, p in fake.requests if "/ephemeral/" in p and m == "POST"]
    assert _outcomes(morning) == {"ephemeral": Outcome.SKIPPED, "managed-disk": Outcome.DONE}
    assert fake.vm("managed-disk").power_state == "running"
    rows = _rows(fake, tmp_path, "vms")
    assert _booked(rows, "ephemeral") == []
    assert sum(r["x_AvoidedHours"] or 0 for r in rows if r["ResourceName"] == "managed-disk") > 0


def test_the_fake_refuses_to_deallocate_a_vm_with_an_ephemeral_os_disk(fake, connection):
    """Same sources as above: the refusal the adapter avoids is the service's, so a direct
    deallocate through the SDK fails with ``OperationNotAllowed`` and the VM keeps running."""
    from azure.core.exceptions import HttpResponseError

    fake.add_vm(SUB, "rg", "ephemeral", "Standard_D4ds_v5", "westeurope", OFFICE,
                ephemeral_placement="CacheDisk")  # fmt: skip
    vms = connection.compute(SUB).virtual_machines
    try:
        vms.begin_deallocate("rg", "ephemeral", polling_interval=0).result()
    except HttpResponseError as err:
        assert err.status_code == 409 and err.error is not None
        assert err.error.code == "OperationNotAllowed"
    else:
        raise AssertionError("the fake deallocated a VM with an ephemeral OS disk")
    assert fake.vm("ephemeral").power_state == "running"


def test_the_demo_report_says_why_the_ephemeral_vm_was_left_alone(tmp_path):
    """The demo's Azure fleet has a CI runner on an ephemeral OS disk. One simulated
    morning, then the demo's own report: its "left alone" line
    names the VM with the adapter's reason, and the ledger has nothing about it."""
    import io
    from datetime import timedelta

    from functions.cli.demo import INVENTORY_AT, DemoResult, print_report, simulate
    from providers.store import LocalStore

    monday = datetime(2026, 11, 16, tzinfo=UTC)
    inventory = monday.replace(hour=INVENTORY_AT[0], minute=INVENTORY_AT[1])
    ledger = tmp_path / "ledger"
    ledger.mkdir()
    week = simulate("azure", ledger, inventory - timedelta(minutes=15), inventory)
    result = DemoResult(tmp_path, monday, monday + timedelta(days=7), week.runs, [],
                        left_alone=week.left_alone)  # fmt: skip
    report = io.StringIO()
    print_report(result, report)

    line = f"azure    vms                 ci-runner-ephemeral      {EPHEMERAL_OS_DISK}\n"
    assert line in report.getvalue()
    assert "ci-runner-ephemeral" in [a.name for a in result.left_alone]
    assert _booked(list(read_records(LocalStore(ledger))), "ci-runner-ephemeral") == []


def test_a_scale_set_of_an_aks_node_pool_is_left_to_aks(fake, tmp_path):
    """AKS keeps a node pool's scale set in the cluster's node resource group
    (``properties.nodeResourceGroup``, Container Service REST API 2025-05-01) and tags it
    with reserved ``aks-managed-*`` tags, besides the cluster's own tags (Microsoft Learn,
    "Use Azure tags in AKS"; "AKS frequently asked questions": do not modify resources in
    the node resource group). Scaling it directly goes behind AKS's back: the adapter skips
    it and names the cluster to schedule instead."""
    cluster = fake.add_aks(SUB, "rg", "dev-aks", "westeurope", OFFICE)
    tags = {**OFFICE, "aks-managed-poolName": "user", "aks-managed-orchestrator": "Kubernetes"}
    fake.add_scale_set(SUB, cluster.node_resource_group, "aks-user-12345678-vmss",
                       "Standard_D4s_v5", "westeurope", tags, capacity=2)  # fmt: skip

    evening = _run(fake, tmp_path, "scale-sets", EVENING)

    skipped = _decision(evening, "aks-user-12345678-vmss")
    assert skipped.action is Action.SKIP
    assert skipped.reason == "AKS node pool user of cluster dev-aks: schedule the cluster"
    assert fake.scale_set("aks-user-12345678-vmss").capacity == 2
    assert _booked(_rows(fake, tmp_path, "scale-sets"), "aks-user-12345678-vmss") == []


def test_a_scale_set_under_an_autoscale_minimum_is_left_alone(fake, tmp_path):
    """Azure Monitor autoscale keeps a target's instance count within its profile's
    ``capacity.minimum``..``maximum`` (Microsoft Learn, "Best practices for Autoscale";
    Autoscale Settings REST API 2022-10-01, ``ScaleCapacity``, example
    ``getAutoscaleSetting.json``): a scale set taken to 0 comes back to the minimum. The
    adapter skips a set whose enabled setting has a minimum above 0 (changing a person's
    autoscale profile at night and back in the morning is theirs to decide); one whose
    minimum is 0 is scheduled as usual and comes back in the morning."""
    held = fake.add_scale_set(SUB, "rg", "autoscaled", "Standard_D2s_v5", "westeurope",
                              OFFICE, capacity=3)  # fmt: skip
    free = fake.add_scale_set(SUB, "rg", "floor-zero", "Standard_D2s_v5", "westeurope",
                              OFFICE, capacity=2)  # fmt: skip
    fake.add_autoscale_setting(held, "cpu-rule", minimum=2, maximum=6)
    fake.add_autoscale_setting(free, "nightly", minimum=0, maximum=4)

    evening = _run(fake, tmp_path, "scale-sets", EVENING)
    assert _decision(evening, "autoscaled").reason == (
        "autoscale setting cpu-rule keeps at least 2 instances: "
        "set its minimum to 0 or disable it to schedule this scale set"
    )
    assert (fake.scale_set("autoscaled").capacity, fake.scale_set("floor-zero").capacity) == (3, 0)
    _run(fake, tmp_path, "scale-sets", MORNING)
    assert fake.scale_set("floor-zero").capacity == 2

    rows = _rows(fake, tmp_path, "scale-sets")
    assert _booked(rows, "autoscaled") == []
    assert sum(r["x_AvoidedHours"] or 0 for r in rows if r["ResourceName"] == "floor-zero") > 0


def test_the_fake_autoscale_raises_a_scale_set_back_to_its_minimum(fake, connection):
    """Same sources: what the adapter avoids. A capacity update below the minimum succeeds,
    and autoscale then takes the set back to the minimum."""
    from azure.mgmt.compute.models import Sku, VirtualMachineScaleSetUpdate

    vmss = fake.add_scale_set(SUB, "rg", "autoscaled", "Standard_D2s_v5", "westeurope",
                              OFFICE, capacity=3)  # fmt: skip
    fake.add_autoscale_setting(vmss, "cpu-rule", minimum=2, maximum=6)
    ops = connection.compute(SUB).virtual_machine_scale_sets
    update = VirtualMachineScaleSetUpdate(sku=Sku(name="Standard_D2s_v5", capacity=0))
    ops.begin_update("rg", "autoscaled", update, polling_interval=0).result()
    assert fake.scale_set("autoscaled").capacity == 2


def test_aks_clusters_that_cannot_be_stopped_are_skipped_with_the_reason(fake, tmp_path):
    """Microsoft Learn, "Stop and start an AKS cluster" ("About the cluster stop/start
    feature"): stop is supported only for Virtual Machine Scale Set backed clusters, and
    clusters using node auto-provisioning cannot be stopped (Container Service REST API
    2025-05-01: ``agentPoolProfiles[].type``, ``nodeProvisioningProfile.mode``). The fake
    refuses such a stop; the adapter skips both at plan time and stops the ordinary one,
    whose result says that standalone pods do not come back (same page: a start restores
    every object except standalone pods)."""
    fake.add_aks(SUB, "rg", "nap", "westeurope", OFFICE, node_provisioning="Auto")
    fake.add_aks(SUB, "rg", "avset", "westeurope", OFFICE, pools=[
        FakeAgentPool("system", 1, "Standard_D2s_v5", mode="System",
                      pool_type="AvailabilitySet"),
    ])  # fmt: skip
    fake.add_aks(SUB, "rg", "plain", "westeurope", OFFICE)
    # AKS Automatic ("What is AKS Automatic?": node auto-provisioning is always on).
    fake.add_aks(SUB, "rg", "automatic", "westeurope", OFFICE).sku_name = "Automatic"

    evening = _run(fake, tmp_path, "aks", EVENING)

    for name in ("nap", "automatic"):
        assert _decision(evening, name).reason == (
            "node auto-provisioning is on: AKS cannot stop this cluster"
        )
    assert fake.aks("automatic").power_state == "Running"
    assert _decision(evening, "avset").reason == (
        "AKS stops only clusters whose node pools are scale sets: system (AvailabilitySet) is not"
    )
    (plain,) = [r for t in evening.targets for r in t.results if r.resource.name == "plain"]
    assert "standalone pods" in plain.detail  # not restored by a start: the result says so
    powers = {name: fake.aks(name).power_state for name in ("nap", "avset", "plain")}
    assert powers == {"nap": "Running", "avset": "Running", "plain": "Stopped"}
    rows = _rows(fake, tmp_path, "aks")
    assert _booked(rows, "nap") == [] and _booked(rows, "avset") == []


def test_an_aks_start_refused_for_capacity_is_retried_while_the_schedule_says_on(fake, tmp_path):
    """Microsoft Learn, "Stop and start an AKS cluster" (Caution: in regions with capacity
    constraints a stopped cluster may fail to start); AKS reports it as a failed operation
    (``AllocationFailed``, one of the capacity errors in the AKS blog "Navigating Capacity
    Challenges on AKS", 2025-12-06). The morning start fails and books no return; the next
    run starts it again, and the off-period closes where the cluster was seen running."""
    fake.add_aks(SUB, "rg", "dev", "westeurope", OFFICE)
    _run(fake, tmp_path, "aks", EVENING)
    assert fake.aks("dev").power_state == "Stopped"

    no_capacity = "Allocation failed: no capacity for Standard_D4s_v5 in westeurope."
    fake.fail_action(
        "dev", "start", code="AllocationFailed", asynchronous=True, message=no_capacity
    )
    first = _run(fake, tmp_path, "aks", MORNING)
    assert _outcomes(first) == {"dev": Outcome.FAILED}
    assert fake.aks("dev").power_state == "Stopped"
    closed = [r for r in _rows(fake, tmp_path, "aks") if r["x_Action"] == "start"]
    assert [r["x_Outcome"] for r in closed] == ["failed"]

    fake.clear_faults()
    later = MORNING.replace(minute=45)
    second = _run(fake, tmp_path, "aks", later)
    assert _outcomes(second) == {"dev": Outcome.DONE}
    assert fake.aks("dev").power_state == "Running"
    rows = _rows(fake, tmp_path, "aks")
    assert [r["x_Outcome"] for r in rows if r["x_Action"] == "start"] == ["failed", "done"]
    assert sum(r["x_AvoidedHours"] or 0 for r in rows) == 12.75  # 20:00 -> 08:45


def test_system_node_pools_keep_their_nodes(fake, tmp_path):
    """Microsoft Learn, "Manage system node pools in AKS": system pools need at least one
    node, so they cannot be scaled to 0 (the fake answers such a PUT 400). In node-pool
    mode the user pools go to 0 and come back; the system pool keeps its node. A cluster
    with only a system pool has nothing to scale: skipped with the reason."""
    nodepools = {**OFFICE, "offhours-aks-mode": "nodepools"}
    fake.add_aks(SUB, "rg", "mixed", "westeurope", nodepools)
    fake.add_aks(SUB, "rg", "system-only", "westeurope", nodepools, pools=[
        FakeAgentPool("system", 1, "Standard_D2s_v5", mode="System"),
    ])  # fmt: skip

    evening = _run(fake, tmp_path, "aks", EVENING)
    assert _decision(evening, "system-only").reason == (
        "no user node pools to scale (system pools keep at least one node)"
    )
    counts = {p.name: p.count for p in fake.aks("mixed").pools.values()}
    assert counts == {"system": 1, "user": 0}
    _run(fake, tmp_path, "aks", MORNING)
    assert {p.name: p.count for p in fake.aks("mixed").pools.values()} == {"system": 1, "user": 2}
    rows = _rows(fake, tmp_path, "aks")
    assert _booked(rows, "system-only") == []
    assert sum(r["x_AvoidedHours"] or 0 for r in rows if r["ResourceName"] == "mixed") == 12.5


def test_the_fake_refuses_to_stop_a_cluster_aks_cannot_stop(fake, connection):
    """Same source as above: what the adapter avoids is refused by the service."""
    from azure.core.exceptions import HttpResponseError

    nap = fake.add_aks(SUB, "rg", "nap", "westeurope", OFFICE, node_provisioning="Auto")
    try:
        connection.arm().begin("POST", f"{nap.id}/stop", "2025-05-01").result()
    except HttpResponseError as err:
        assert err.status_code == 400 and err.error is not None
        assert err.error.code == "OperationNotAllowed"
    else:
        raise AssertionError("the fake stopped a cluster with node auto-provisioning")
    assert fake.aks("nap").power_state == "Running"


def test_a_vm_start_refused_for_capacity_is_retried_while_the_schedule_says_on(fake, tmp_path):
    """Microsoft Learn, "Troubleshoot allocation failures when you create, restart, or resize
    VMs in Azure": starting a deallocated VM can fail with ``AllocationFailed`` when the
    cluster lacks capacity for its size (the request succeeds later or elsewhere). The
    morning start fails and closes nothing; the next run starts the VM again."""
    fake.add_vm(SUB, "rg", "dev", "Standard_NC6s_v3", "westeurope", OFFICE)
    _run(fake, tmp_path, "vms", EVENING)
    fake.fail_action("dev", "start", code="AllocationFailed", asynchronous=True)

    first = _run(fake, tmp_path, "vms", MORNING)
    assert _outcomes(first) == {"dev": Outcome.FAILED}
    assert fake.vm("dev").power_state == "deallocated"
    fake.clear_faults()
    second = _run(fake, tmp_path, "vms", MORNING.replace(minute=45))

    assert _outcomes(second) == {"dev": Outcome.DONE}
    assert fake.vm("dev").power_state == "running"
    rows = _rows(fake, tmp_path, "vms")
    assert [r["x_Outcome"] for r in rows if r["x_Action"] == "start"] == ["failed", "done"]
    assert sum(r["x_AvoidedHours"] or 0 for r in rows) == 12.75  # 20:00 -> 08:45


def test_ml_compute_clusters_and_instances_running_jobs_are_not_stopped(fake, tmp_path):
    """MachineLearningServices REST 2024-04-01: stop/start exist for compute instances only
    (``computeType = ComputeInstance``; the fake answers others 400), and
    ``ComputeInstanceState`` has ``JobRunning`` besides ``Running``/``Stopped``; stopping
    then would end the job. Microsoft Learn, "Create an Azure Machine Learning compute
    cluster": a cluster scales to its minimum nodes by itself. The cluster is left alone
    with the reason, the instance running a job is left for a later run, and the idle
    instance is stopped."""
    for name, state, kind in (
        ("trainer", "JobRunning", "ComputeInstance"),
        ("idle-nb", "Running", "ComputeInstance"),
        ("gpu-cluster", "Running", "AmlCompute"),
    ):
        fake.add_ml_compute(SUB, "ml", "ws", name, "Standard_NC6s_v3", "westeurope", OFFICE,
                            state=state, compute_type=kind)  # fmt: skip

    evening = _run(fake, tmp_path, "ml-compute", EVENING)

    assert _decision(evening, "ws/gpu-cluster").reason == (
        "AmlCompute scales to its minimum nodes by itself"
    )
    assert _decision(evening, "ws/trainer").action is Action.SKIP
    assert [fake.ml_compute(n).state for n in ("trainer", "idle-nb")] == ["JobRunning", "Stopped"]
    rows = _rows(fake, tmp_path, "ml-compute")
    assert _booked(rows, "ws/trainer") == [] and _booked(rows, "ws/gpu-cluster") == []
    assert [r["ResourceName"] for r in rows if r["x_Action"] == "stop"] == ["ws/idle-nb"]


def test_a_scale_set_in_the_middle_of_an_update_is_left_for_the_next_run(fake, tmp_path):
    """Compute REST 2025-04-01 ``VirtualMachineScaleSet.provisioningState``: while a scale
    set is being updated another update conflicts. The run leaves it alone (transitional);
    the next run, once it has settled, scales it down."""
    vmss = fake.add_scale_set(SUB, "rg", "busy", "Standard_D2s_v5", "westeurope", OFFICE, 2)
    vmss.provisioning_state = "Updating"

    evening = _run(fake, tmp_path, "scale-sets", EVENING)
    assert _decision(evening, "busy").reason == "in a transitional state: the next run decides"
    assert fake.scale_set("busy").capacity == 2
    assert _booked(_rows(fake, tmp_path, "scale-sets"), "busy") == []

    vmss.provisioning_state = "Succeeded"
    _run(fake, tmp_path, "scale-sets", EVENING.replace(minute=15))
    assert fake.scale_set("busy").capacity == 0


def test_a_scale_set_taken_to_zero_before_aks_owned_it_is_still_given_back(fake, tmp_path):
    """Same sources as the AKS node-pool test. A scale set offhours scaled to 0 (its capacity
    saved) that now looks AKS-owned is not stranded at 0: a restore never leaves a
    resource off in working hours. The morning run gives back the saved capacity; from then
    on the set is left to AKS."""
    vmss = fake.add_scale_set(SUB, "rg", "late-owned", "Standard_D4s_v5", "westeurope",
                              dict(OFFICE), capacity=2)  # fmt: skip
    _run(fake, tmp_path, "scale-sets", EVENING)
    assert fake.scale_set("late-owned").capacity == 0
    vmss.tags["aks-managed-poolName"] = "user"

    _run(fake, tmp_path, "scale-sets", MORNING)
    assert fake.scale_set("late-owned").capacity == 2
    evening = _run(fake, tmp_path, "scale-sets", EVENING.replace(day=26))
    assert _decision(evening, "late-owned").reason.startswith("AKS node pool user")
    assert fake.scale_set("late-owned").capacity == 2


def test_a_disabled_autoscale_setting_does_not_hold_a_scale_set(fake, tmp_path):
    """Insights REST 2022-10-01, ``AutoscaleSettings.enabled`` (default true): a disabled
    setting does not act, so its scale set is scheduled as usual and comes back."""
    vmss = fake.add_scale_set(SUB, "rg", "paused-rule", "Standard_D2s_v5", "westeurope",
                              OFFICE, capacity=2)  # fmt: skip
    fake.add_autoscale_setting(vmss, "cpu-rule", minimum=2, maximum=6, enabled=False)

    _run(fake, tmp_path, "scale-sets", EVENING)
    assert fake.scale_set("paused-rule").capacity == 0
    _run(fake, tmp_path, "scale-sets", MORNING)
    assert fake.scale_set("paused-rule").capacity == 2


def test_a_compute_instance_with_its_own_start_schedule_is_left_alone(fake, tmp_path):
    """MachineLearningServices REST 2024-04-01, ``ComputeSchedules.computeStartStop``
    (example ``Compute/createOrUpdate/ComputeInstanceWithSchedules.json``: a cron ``Stop``
    entry); Microsoft Learn, "Manage an Azure Machine Learning compute instance" (schedule
    automatic start and stop). An enabled *start* schedule would start the instance inside
    the off hours and fight offhours: the instance is left alone with the reason. A
    stop-only schedule agrees with offhours: that instance is stopped as usual."""
    cron = {"expression": "0 7 * * 1-5", "startTime": "2026-11-01T00:00:00",
            "timeZone": "UTC"}  # fmt: skip
    starts = fake.add_ml_compute(SUB, "ml", "ws", "self-started", "Standard_DS3_v2",
                                 "westeurope", OFFICE)  # fmt: skip
    starts.schedules = [{"status": "Enabled", "action": "Start", "triggerType": "Cron",
                         "cron": cron}]  # fmt: skip
    stops = fake.add_ml_compute(SUB, "ml", "ws", "self-stopped", "Standard_DS3_v2",
                                "westeurope", OFFICE)  # fmt: skip
    stops.schedules = [{"status": "Enabled", "action": "Stop", "triggerType": "Cron",
                        "cron": {**cron, "expression": "0 18 * * *"}}]  # fmt: skip

    evening = _run(fake, tmp_path, "ml-compute", EVENING)

    assert _decision(evening, "ws/self-started").reason == (
        "the compute instance has its own start schedule (0 7 * * 1-5): "
        "remove it, or the schedule tag, so one scheduler decides"
    )
    states = [fake.ml_compute(n).state for n in ("self-started", "self-stopped")]
    assert states == ["Running", "Stopped"]
    assert _booked(_rows(fake, tmp_path, "ml-compute"), "ws/self-started") == []


def test_vms_whose_capacity_bills_anyway_are_left_alone(fake, tmp_path):
    """Microsoft Learn, "On-demand capacity reservation" (a reservation is billed at the VM
    size's rate whether or not VMs run in it) and "Azure Dedicated Hosts" (billed per host,
    whatever the VMs on it do); Compute REST 2025-04-01 ``capacityReservation`` and
    ``hostGroup`` on a VM (example ``VirtualMachine_Create_WithCapacityReservation.json``).
    Deallocating such a VM saves nothing, so offhours leaves it alone and books nothing."""
    base = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute"
    reserved = fake.add_vm(SUB, "rg", "reserved", "Standard_D4s_v5", "westeurope", OFFICE)
    reserved.capacity_reservation_group = f"{base}/capacityReservationGroups/crg-1"
    hosted = fake.add_vm(SUB, "rg", "hosted", "Standard_D4s_v5", "westeurope", OFFICE)
    hosted.host_group = f"{base}/hostGroups/hg-1"

    evening = _run(fake, tmp_path, "vms", EVENING)

    assert _decision(evening, "reserved").reason == (
        "in capacity reservation group crg-1: the reservation bills whether the VM runs or "
        "not, so stopping saves nothing"
    )
    assert _decision(evening, "hosted").reason == (
        "on dedicated host hg-1: the host bills whether the VM runs or not, so stopping "
        "saves nothing"
    )
    assert [fake.vm(n).power_state for n in ("reserved", "hosted")] == ["running", "running"]
    rows = _rows(fake, tmp_path, "vms")
    assert _booked(rows, "reserved") == [] and _booked(rows, "hosted") == []


def test_scale_sets_whose_capacity_bills_anyway_are_left_alone(fake, tmp_path):
    """Same sources as for VMs; Compute REST 2025-04-01 ``virtualMachineProfile.
    capacityReservation`` and ``hostGroup`` on a scale set (example
    ``VirtualMachineScaleSet_Create_WithCapacityReservation.json``). Scaling such a set to 0
    saves nothing: left alone, nothing booked."""
    base = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute"
    vmss = fake.add_scale_set(SUB, "rg", "reserved-set", "Standard_D4s_v5", "westeurope",
                              OFFICE, capacity=2)  # fmt: skip
    vmss.capacity_reservation_group = f"{base}/capacityReservationGroups/crg-1"

    evening = _run(fake, tmp_path, "scale-sets", EVENING)

    assert _decision(evening, "reserved-set").reason == (
        "in capacity reservation group crg-1: the reservation bills whether the instances "
        "run or not, so stopping saves nothing"
    )
    assert fake.scale_set("reserved-set").capacity == 2
    assert _booked(_rows(fake, tmp_path, "scale-sets"), "reserved-set") == []


def test_a_busy_aks_cluster_is_left_for_the_next_run(fake, tmp_path):
    """Container Service REST 2025-05-01 ``provisioningState``: AKS runs one operation per
    cluster at a time, so a stop while it upgrades conflicts. The run leaves the cluster
    alone (transitional); once it has settled, the next run stops it."""
    cluster = fake.add_aks(SUB, "rg", "upgrading", "westeurope", OFFICE)
    cluster.provisioning_state = "Upgrading"

    evening = _run(fake, tmp_path, "aks", EVENING)
    assert _decision(evening, "upgrading").reason == (
        "in a transitional state: the next run decides"
    )
    assert fake.aks("upgrading").power_state == "Running"
    assert _booked(_rows(fake, tmp_path, "aks"), "upgrading") == []

    cluster.provisioning_state = "Succeeded"
    _run(fake, tmp_path, "aks", EVENING.replace(minute=15))
    assert fake.aks("upgrading").power_state == "Stopped"


def test_a_scale_up_refused_for_capacity_is_retried_while_the_schedule_says_on(fake, tmp_path):
    """Microsoft Learn, "Troubleshoot allocation failures when you create, restart, or resize
    VMs in Azure" (scale sets too: ``AllocationFailed`` on scale-out). The morning scale-up
    fails, the saved capacity stays saved, and the next run gives the capacity back."""
    fake.add_scale_set(SUB, "rg", "workers", "Standard_NC6s_v3", "westeurope", OFFICE, 3)
    _run(fake, tmp_path, "scale-sets", EVENING)
    assert fake.scale_set("workers").capacity == 0
    fake.fail_action("workers", "update", code="AllocationFailed", asynchronous=True)

    first = _run(fake, tmp_path, "scale-sets", MORNING)
    assert _outcomes(first) == {"workers": Outcome.FAILED}
    assert fake.scale_set("workers").capacity == 0
    fake.clear_faults()
    second = _run(fake, tmp_path, "scale-sets", MORNING.replace(minute=45))

    assert _outcomes(second) == {"workers": Outcome.DONE}
    assert fake.scale_set("workers").capacity == 3
    rows = _rows(fake, tmp_path, "scale-sets")
    assert [r["x_Outcome"] for r in rows if r["x_Action"] == "scale-up"] == ["failed", "done"]
