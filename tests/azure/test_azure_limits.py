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
from sandbox.azure_fake import AzureFake

EVENING = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)  # Wednesday, after office hours
MORNING = datetime(2026, 11, 26, 8, 30, tzinfo=UTC)  # Thursday, office hours began 08:00


def _settings(fake: AzureFake, tmp_path: Any, kind: str) -> Settings:
    return Settings(
        providers=("azure",), azure_endpoint_url=fake.url, ledger=str(tmp_path / "ledger")
    ).replace(kinds=(kind,))


def _run(fake: AzureFake, tmp_path: Any, kind: str, now: datetime) -> RunReport:
    return reconcile(build_job(_settings(fake, tmp_path, kind), clock=lambda: now), now)


def _rows(fake: AzureFake, tmp_path: Any, kind: str) -> list[dict[str, Any]]:
    settings = _settings(fake, tmp_path, kind)
    return list(read_records(build_job(settings, clock=lambda: EVENING).store))


def _decision(report: RunReport, name: str) -> Any:
    (decision,) = [d for t in report.targets for d in t.decisions if d.resource.name == name]
    return decision


def _outcomes(report: RunReport) -> dict[str, Outcome]:
    return {r.resource.name: r.outcome for t in report.targets for r in t.results}


def _booked(rows: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """Rows that claim an action or a saving for ``name``."""
    return [
        r
        for r in rows
        if r["ResourceName"] == name and (r["x_Outcome"] != "skipped" or r["x_AvoidedHours"])
    ]


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


def test_the_demo_report_says_why_the_ephemeral_vm_was_left_alone(fake, tmp_path):
    """The demo's Azure fleet has a CI runner on an ephemeral OS disk; its report reads the
    inventory snapshot the daily job wrote and names it with the adapter's reason."""
    from functions.cli.demo_refusals import refused, write_refused
    from functions.jobs.inventory import take_inventory
    from sandbox.azure_fake.demo import seed_demo_subscription

    seed_demo_subscription(fake)
    job = build_job(_settings(fake, tmp_path, "vms"), clock=lambda: EVENING)
    take_inventory(job, EVENING)
    lines: list[str] = []
    write_refused(refused(job.store, "schedule"), lines.append)
    assert lines == [f"left alone: azure vms ci-runner-ephemeral: {EPHEMERAL_OS_DISK}\n"]
