"""The Azure Monitor reads a run is billed for are the ``metrics:getBatch`` requests the
ARM fake served (Azure Monitor REST API 2023-10-01, Metrics Batch - Batch: up to 50
resources a call), with the resources they asked about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from functions.jobs.reconcile import reconcile
from functions.settings import Settings
from functions.wiring import build_job
from providers.metering import Meter
from sandbox.azure_fake.routes_metrics import put_cpu

SUB = "00000000-0000-4000-8000-000000000001"
WED = datetime(2026, 11, 25, tzinfo=UTC)
TAGS = {"schedule": "office-hours", "idle-stop": "2h", "idle-metric": "cpu"}


def test_metrics_batches_counted_as_served(fake: Any, tmp_path: Path) -> None:
    for n in range(3):
        made = fake.add_vm(
            SUB, "rg", f"vm-{n}", "Standard_D4s_v5", "westeurope", TAGS, started_at=WED
        )
        put_cpu(fake, made.id, WED + timedelta(hours=12), 5 * 60, lambda t: 50.0)
    settings = Settings(
        providers=("azure",), ledger=str(tmp_path / "ledger"), kinds=("vms",)
    ).replace(azure_endpoint_url=fake.url)
    now = WED + timedelta(hours=16)
    meter = Meter()
    fake.clear_requests()
    report = reconcile(build_job(settings, clock=lambda: now, meter=meter))

    served = [path for _, path in fake.requests if "metrics:getBatch" in path]
    assert meter.counts()["azure_metrics_batches"] == len(served) == 1
    assert meter.counts()["azure_metrics_resources"] == 3
    assert all("busy: CPU max 50 %" in d.reason for d in report.decisions)
