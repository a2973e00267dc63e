"""The job books an Azure long-running operation only once ARM confirms it: an LRO that
ends ``Failed`` books nothing, one still ``InProgress`` at the deadline is ``accepted``
and booked from its accepted instant when the next discovery finds the VM deallocated.

The fake follows the Compute 2026-04-01 REST shapes: 202 with ``Azure-AsyncOperation``,
``InProgress`` then ``Succeeded`` or ``Failed``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from azure_testkit import OFFICE, SUB

from functions.jobs.reconcile import reconcile
from functions.settings import Settings
from functions.wiring import build_job
from ledger.book import read_records
from ledger.verify import verify
from providers.azure.connection import AzureConnection
from providers.base import Outcome
from sandbox.azure_fake import AzureFake

NIGHT = datetime(2026, 11, 23, 19, 30, tzinfo=UTC)
MORNING = datetime(2026, 11, 24, 8, 30, tzinfo=UTC)


def test_failed_lro_books_nothing_and_accepted_lro_books_from_acceptance(
    fake: AzureFake, connection: AzureConnection, tmp_path: Any
) -> None:
    fake.add_subscription(SUB)
    for name in ("vm-fails", "vm-slow", "vm-fine"):
        fake.add_vm(SUB, "dev", name, "Standard_D2s_v5", "westeurope", tags=dict(OFFICE))
    settings = Settings(providers=("azure",), ledger=str(tmp_path / "ledger")).replace(
        kinds=("vms",)
    )
    # A short deadline: the held operation is still running when the run stops waiting.
    quick = replace(connection, lro_timeout=1.0)

    def run(when: datetime) -> Any:
        job = build_job(settings, lambda: when, connections={"azure": quick})
        return reconcile(job)

    fake.fail_action("vm-fails", "deallocate", asynchronous=True)
    fake.hold_action("vm-slow", "deallocate")
    night = run(NIGHT)
    outcomes = {r.resource.name: r.outcome for r in night.results}
    assert outcomes == {
        "vm-fails": Outcome.FAILED,
        "vm-slow": Outcome.ACCEPTED,
        "vm-fine": Outcome.DONE,
    }
    assert fake.vm("vm-fails").power_state == "running"
    fake.clear_faults()
    fake.settle()
    run(NIGHT + timedelta(minutes=30))
    assert fake.vm("vm-fails").power_state == "deallocated"
    store_rows = list(read_records(build_job(settings, lambda: NIGHT).store))
    confirmed = [r for r in store_rows if r["x_Reason"].startswith("confirmed")]
    assert [(r["ResourceName"], r["ChargePeriodStart"]) for r in confirmed] == [
        ("vm-slow", "2026-11-23T19:30:00Z")
    ]
    run(MORNING)
    rows = list(read_records(build_job(settings, lambda: MORNING).store))
    hours = {r["ResourceName"]: r["x_AvoidedHours"] for r in rows if r["x_AvoidedHours"]}
    assert hours == {"vm-fine": 13.0, "vm-slow": 13.0, "vm-fails": 12.5}
    assert [r["ResourceName"] for r in rows if r["x_Outcome"] == "failed"] == ["vm-fails"]
    assert verify(build_job(settings, lambda: MORNING).store).ok
