"""An Azure VM pair in start and stop order, through the real job against the ARM fake
across a simulated week: the app VM never runs while its database VM is not running,
and the database VM is deallocated only after the app.

Power states as the Compute REST API (2024-07-01) reports them in the instance view
(``PowerState/running``, ``PowerState/deallocated``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from functions.jobs.reconcile import reconcile
from functions.settings import Settings
from functions.wiring import build_job
from ledger.book import read_records
from providers.store import LocalStore

SUB = "00000000-0000-4000-8000-000000000001"
MONDAY = datetime(2026, 11, 23, tzinfo=UTC)
SCHEDULE = {"schedule": "office-hours"}


def test_an_ordered_vm_pair_across_a_week(fake: Any, tmp_path: Any, clock: Any) -> None:
    fake.add_subscription(SUB)
    fake.add_vm(SUB, "dev-rg", "dev-db-vm", "Standard_D2s_v5", "westeurope", SCHEDULE)
    fake.add_vm(
        SUB,
        "dev-rg",
        "dev-app-vm",
        "Standard_B2s",
        "westeurope",
        {**SCHEDULE, "offhours-order": "1", "offhours-order-wait": "10m"},
    )
    settings = Settings(
        providers=("azure",), ledger=str(tmp_path / "ledger"), kinds=("vms",)
    ).replace(azure_endpoint_url=fake.url)
    reasons: dict[datetime, str] = {}
    app_ran = 0
    when = MONDAY
    while when < MONDAY + timedelta(days=7):
        clock.now = when
        report = reconcile(build_job(settings, clock=clock))
        assert report.errors == [], report.errors
        db, app = fake.vm("dev-db-vm").power_state, fake.vm("dev-app-vm").power_state
        assert app != "running" or db == "running", when
        assert db == "running" or app == "deallocated", when
        app_ran += app == "running"
        reasons[when] = next(d.reason for d in report.decisions if d.resource.name == "dev-app-vm")
        reasons[when] += " | " + next(
            d.reason for d in report.decisions if d.resource.name == "dev-db-vm"
        )
        when += timedelta(hours=1)
    # Each weekday from the 10:00 run to the 18:00 one: the database starts at 08:00, is
    # first seen running at 09:00, and the app waits its 10 minutes after that.
    assert app_ran == 5 * 9
    assert "waiting for order 0: dev-db-vm not yet running" in reasons[MONDAY + timedelta(hours=8)]
    assert "waiting for order 1: dev-app-vm not yet off" in reasons[MONDAY + timedelta(hours=19)]
    rows = list(read_records(LocalStore(tmp_path / "ledger")))
    starts = sorted(
        (r["x_RecordedAt"], r["ResourceName"]) for r in rows if r["x_Action"] == "start"
    )
    assert starts[:2] == [
        ("2026-11-23T08:00:00Z", "dev-db-vm"),
        ("2026-11-23T10:00:00Z", "dev-app-vm"),
    ]
