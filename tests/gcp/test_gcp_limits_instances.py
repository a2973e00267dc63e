"""Documented limits of Compute Engine VMs, driven through the reconcile job on the fake.

Each test names its source: the Compute Engine v1 discovery document bundled with
google-api-python-client (``discovery_cache/documents/compute.v1.json``, revision 20261106)
and the Compute Engine documentation pages.
"""

from __future__ import annotations

from typing import Any

import pytest
from gcp_helpers import PROJECT, SCHEDULE, ZONE
from google.api_core.exceptions import BadRequest
from limits_job import MORNING, NIGHT, booked_hours, decision, limits_job, result, rows, run

from functions.jobs.reconcile import Job
from providers.base import Action, Outcome
from providers.gcp.connection import GcpConnection
from providers.gcp.local_ssd import OPT_IN_LABEL
from sandbox.gcp_fake import GcpFake


@pytest.fixture
def job(built: Any, connection: GcpConnection, clock: Any, tmp_path: Any) -> Job:
    return limits_job("instances", built, connection, clock, str(tmp_path / "ledger"))


def _status(fake: GcpFake, name: str) -> str:
    return str(fake.instance(PROJECT, ZONE, name)["status"])


def test_the_fake_refuses_a_stop_without_discard_local_ssd(
    fake: GcpFake, connection: GcpConnection, built: Any
) -> None:
    """compute v1 ``instances.stop``, query parameter ``discardLocalSsd``: "This property is
    required if the instance has any attached Local SSD disks" (discovery document)."""
    fake.add_instance(PROJECT, ZONE, "scratch", "n2-standard-8", SCHEDULE, local_ssds=1)
    built.permissions.add("compute.instances.stop")
    client = connection.compute("InstancesClient")

    with pytest.raises(BadRequest, match="discardLocalSsd"):
        client.stop_unary(project=PROJECT, zone=ZONE, instance="scratch")

    assert _status(fake, "scratch") == "RUNNING"


def test_local_ssd_vm_without_the_opt_in_is_skipped_with_the_reason(
    fake: GcpFake, job: Job, clock: Any
) -> None:
    """Stopping a VM with a Local SSD loses the disk's data and needs ``discardLocalSsd``
    (compute v1 discovery document, ``instances.stop``/``instances.suspend``; "About Local
    SSD disks", https://cloud.google.com/compute/docs/disks/local-ssd). Without the owner's
    label the VM is left running and nothing is booked for it."""
    fake.add_instance(PROJECT, ZONE, "scratch", "n2-standard-8", SCHEDULE, local_ssds=2)
    fake.add_instance(PROJECT, ZONE, "plain", "n2-standard-8", SCHEDULE)

    night = run(job, clock, NIGHT)

    skipped = decision(night, "scratch")
    assert skipped.action is Action.SKIP
    assert skipped.reason == (
        f"local SSD attached (2): set {OPT_IN_LABEL}=true to allow stopping, its data is lost"
    )
    assert _status(fake, "scratch") == "RUNNING"
    assert _status(fake, "plain") == "TERMINATED"  # the rest of the fleet is scheduled
    assert [r["x_Action"] for r in rows(job, "scratch") if r["x_Outcome"] != "skipped"] == []
    run(job, clock, MORNING)
    assert booked_hours(job, "scratch") == 0
    assert booked_hours(job, "plain") == 13.0


def test_local_ssd_vm_with_the_opt_in_is_stopped_discarding_the_data(
    fake: GcpFake, job: Job, clock: Any
) -> None:
    """With ``offhours-discard-local-ssd=true`` the stop sends ``discardLocalSsd=true``
    (compute v1 discovery document, ``instances.stop``), which the fake requires; the VM
    stops, comes back in the morning, and the night is booked."""
    labels = {**SCHEDULE, OPT_IN_LABEL: "true"}
    fake.add_instance(PROJECT, ZONE, "scratch", "n2-standard-8", labels, local_ssds=1)

    night = run(job, clock, NIGHT)

    stopped = result(night, "scratch")
    assert stopped.outcome is Outcome.DONE
    assert "Local SSD data discarded" in stopped.detail
    assert _status(fake, "scratch") == "TERMINATED"
    run(job, clock, MORNING)
    assert _status(fake, "scratch") == "RUNNING"
    assert booked_hours(job, "scratch") == 13.0


def test_local_ssd_vm_hibernated_suspends_discarding_the_data(
    fake: GcpFake, built: Any, connection: GcpConnection, clock: Any, tmp_path: Any
) -> None:
    """``instances.suspend`` needs ``discardLocalSsd`` as ``stop`` does (compute v1
    discovery document); a hibernating schedule suspends the opted-in VM and resumes it."""
    labels = {"schedule": "office-hours", "offhours-hibernate": "true", OPT_IN_LABEL: "true"}
    fake.add_instance(PROJECT, ZONE, "scratch", "n2-standard-8", labels, local_ssds=1)
    job = limits_job("instances", built, connection, clock, str(tmp_path / "ledger"))

    run(job, clock, NIGHT)

    assert _status(fake, "scratch") == "SUSPENDED"
    run(job, clock, MORNING)
    assert _status(fake, "scratch") == "RUNNING"
    assert booked_hours(job, "scratch") == 13.0


def test_the_demo_week_reports_the_local_ssd_vms(tmp_path: Any) -> None:
    """The demo fleet's VMs with a Local SSD: the one without the opt-in label is reported
    as left alone with the reason, the opted-in one is stopped and its night booked."""
    import io
    from datetime import timedelta

    from functions.cli.demo import DemoResult, print_report, simulate
    from ledger.book import read_records
    from providers.store import LocalStore

    evening = NIGHT.replace(hour=18, minute=45)
    week = simulate("gcp", tmp_path / "ledger", evening, evening + timedelta(minutes=30))
    stops = [
        r["ResourceName"]
        for r in read_records(LocalStore(tmp_path / "ledger"))
        if r["x_Action"] == "stop" and r["x_Outcome"] == "done"
    ]
    assert "etl-cache" in stops and "gpu-scratch" not in stops
    reason = f"local SSD attached (1): set {OPT_IN_LABEL}=true to allow stopping, its data is lost"
    assert {(a.kind, a.name): a.reason for a in week.left_alone}[("instances", "gpu-scratch")] == (
        reason
    )
    assert "etl-cache" not in {a.name for a in week.left_alone}
    report = io.StringIO()
    print_report(
        DemoResult(tmp_path, evening, evening, week.runs, [], left_alone=week.left_alone), report
    )
    assert f"gcp      instances           gpu-scratch              {reason}\n" in report.getvalue()


def test_a_gpu_vm_scheduled_to_hibernate_is_stopped_instead(
    fake: GcpFake, job: Job, clock: Any
) -> None:
    """Suspend is not available for VMs with GPUs attached ("Suspend and resume a compute
    instance", limitations, https://cloud.google.com/compute/docs/instances/suspend-resume-instance;
    the fake refuses it with 400): the VM is stopped instead, started in the morning, and
    the night is booked."""
    labels = {**SCHEDULE, "offhours-hibernate": "true"}
    fake.add_instance(PROJECT, ZONE, "gpu", "g2-standard-8", labels, gpus=("nvidia-l4", 1))

    night = run(job, clock, NIGHT)

    assert "stopped instead" in result(night, "gpu").detail
    assert _status(fake, "gpu") == "TERMINATED"
    run(job, clock, MORNING)
    assert _status(fake, "gpu") == "RUNNING"
    assert booked_hours(job, "gpu") == 13.0


def test_a_suspended_vm_is_resumed_not_started(fake: GcpFake, job: Job, clock: Any) -> None:
    """``instances.start`` does not apply to a SUSPENDED VM, ``instances.resume`` does
    (compute v1 discovery document; the fake refuses start with 400): a VM offhours
    suspended at night is resumed in the morning."""
    labels = {**SCHEDULE, "offhours-hibernate": "true"}
    fake.add_instance(PROJECT, ZONE, "dev", "e2-standard-4", labels)

    run(job, clock, NIGHT)
    assert _status(fake, "dev") == "SUSPENDED"
    morning = run(job, clock, MORNING)

    assert result(morning, "dev").detail.startswith("resume")
    assert _status(fake, "dev") == "RUNNING"
    assert booked_hours(job, "dev") == 13.0


def test_a_vm_another_service_owns_is_left_alone(fake: GcpFake, job: Job, clock: Any) -> None:
    """GKE nodes and Dataproc cluster nodes are managed by their service (labels
    ``goog-gke-node``, ``goog-dataproc-cluster-name``), MIG members by their group
    (``created-by`` metadata): stopping one by hand fights the owner, so it is skipped."""
    fake.add_instance(PROJECT, ZONE, "node", "e2-standard-4", {**SCHEDULE, "goog-gke-node": ""})

    night = run(job, clock, NIGHT)

    assert decision(night, "node").reason == "managed by a GKE node"
    assert _status(fake, "node") == "RUNNING"
    assert booked_hours(job, "node") == 0


def test_a_start_refused_for_lack_of_capacity_is_retried_until_it_runs(
    fake: GcpFake, job: Job, clock: Any
) -> None:
    """A start can end with ``ZONE_RESOURCE_POOL_EXHAUSTED`` when the zone has no capacity
    ("Troubleshoot resource availability errors",
    https://cloud.google.com/compute/docs/troubleshooting/troubleshooting-resource-availability;
    the fake ends the operation DONE with that error): the start is ``failed``, the night
    stays open, and the next run starts it again; the period is booked once, to the start
    that was confirmed."""
    fake.add_instance(PROJECT, ZONE, "big", "n2-standard-8", SCHEDULE)
    run(job, clock, NIGHT)
    fake.fail_operation(
        "big",
        "start",
        "The zone 'projects/dev-project/zones/europe-west4-a' does not have enough resources "
        "available to fulfill the request.",
        "ZONE_RESOURCE_POOL_EXHAUSTED",
    )

    morning = run(job, clock, MORNING)

    assert result(morning, "big").outcome is Outcome.FAILED
    assert "ZONE_RESOURCE_POOL_EXHAUSTED" in result(morning, "big").error
    assert _status(fake, "big") == "TERMINATED"
    assert booked_hours(job, "big") == 0
    later = run(job, clock, MORNING.replace(minute=45))
    assert "retrying the start" in decision(later, "big").reason
    assert _status(fake, "big") == "RUNNING"
    assert booked_hours(job, "big") == 13.25


def test_a_vm_on_a_compute_engine_instance_schedule_is_left_alone(
    fake: GcpFake, job: Job, clock: Any
) -> None:
    """An instance schedule (a resource policy with ``instanceSchedulePolicy``, compute v1;
    "Schedule a VM to start and stop",
    https://cloud.google.com/compute/docs/instances/schedule-instance-start-stop) starts and
    stops its VMs itself: a second scheduler would fight it, so offhours leaves the VM
    alone. A snapshot schedule starts and stops nothing: that VM is scheduled."""
    region = ZONE.rsplit("-", 1)[0]
    fake.add_resource_policy(PROJECT, region, "office-vms")
    fake.add_resource_policy(PROJECT, region, "nightly-snapshots", instance_schedule=False)
    fake.add_instance(
        PROJECT, ZONE, "timed", "e2-medium", SCHEDULE, resource_policies=("office-vms",)
    )
    fake.add_instance(
        PROJECT, ZONE, "backed-up", "e2-medium", SCHEDULE, resource_policies=("nightly-snapshots",)
    )

    night = run(job, clock, NIGHT)

    assert decision(night, "timed").reason.startswith(
        "started and stopped by the Compute Engine instance schedule office-vms"
    )
    assert _status(fake, "timed") == "RUNNING"
    assert _status(fake, "backed-up") == "TERMINATED"
    run(job, clock, MORNING)
    assert booked_hours(job, "timed") == 0 and booked_hours(job, "backed-up") == 13.0


def test_unreadable_resource_policies_leave_only_the_vms_that_have_some_alone(
    fake: GcpFake, job: Job, clock: Any
) -> None:
    """When ``resourcePolicies.aggregatedList`` is refused, a VM with a resource policy may
    be on an instance schedule: it is left alone with the reason; the others are scheduled."""
    region = ZONE.rsplit("-", 1)[0]
    fake.add_resource_policy(PROJECT, region, "office-vms")
    timed = ("office-vms",)
    fake.add_instance(PROJECT, ZONE, "timed", "e2-medium", SCHEDULE, resource_policies=timed)
    fake.add_instance(PROJECT, ZONE, "plain", "e2-medium", SCHEDULE)
    fake.fail("/aggregated/resourcePolicies", 403, "Required 'compute.resourcePolicies.list'")

    night = run(job, clock, NIGHT)

    assert decision(night, "timed").reason.startswith("its resource policies could not be read")
    assert _status(fake, "timed") == "RUNNING" and _status(fake, "plain") == "TERMINATED"
    assert night.errors == []
