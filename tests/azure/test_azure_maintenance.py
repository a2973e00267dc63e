"""A maintenance window on an Azure VM, written in its tag as a schedule (any cloud):
the real job against the ARM fake starts the VM ten minutes before the window and
deallocates it after it; the ledger books no savings for the window.

Power states as the Compute REST API (2024-07-01) reports them in the instance view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.jobs.reconcile import reconcile
from functions.settings import Settings
from functions.wiring import build_job
from ledger.book import read_records
from providers.store import LocalStore

SUB = "00000000-0000-4000-8000-000000000001"
SUNDAY = datetime(2026, 11, 29, tzinfo=UTC)


def test_a_vm_runs_through_the_window_its_tag_writes(fake: Any, tmp_path: Any, clock: Any) -> None:
    fake.add_subscription(SUB)
    tags = {"schedule": "office-hours", "maintenance-window": "sun 02:00-04:00 UTC"}
    fake.add_vm(SUB, "dev-rg", "patched-vm", "Standard_B2s", "westeurope", tags)
    settings = Settings(
        providers=("azure",), ledger=str(tmp_path / "ledger"), kinds=("vms",)
    ).replace(azure_endpoint_url=fake.url)
    states = {}
    for minutes in (0, 105, 110, 180, 240, 300):
        clock.now = SUNDAY + timedelta(minutes=minutes)
        report = reconcile(build_job(settings, clock=clock))
        assert report.errors == [], report.errors
        states[minutes] = fake.vm("patched-vm").power_state
    assert states == {
        0: "deallocated",  # off for the weekend
        105: "deallocated",  # 01:45: not yet
        110: "running",  # 01:50: ten minutes before the window
        180: "running",
        240: "deallocated",  # 04:00: the window is over, the schedule says off
        300: "deallocated",
    }
    rows = [r for r in read_records(LocalStore(tmp_path / "ledger")) if r["x_Action"] == "start"]
    (start,) = rows
    assert start["x_Trigger"] == "maintenance"
    # The weekend's off-period closes where the window is entered: 01:50 less 00:00.
    assert start["x_AvoidedHours"] == pytest.approx(1 + 50 / 60)
