"""Idle Azure VMs through the reconcile job against the ARM fake: ``Percentage CPU`` from
Azure Monitor's batch metrics API decides for a VM tagged ``idle-metric=cpu``; a GPU VM
judged by GPU is unknown (Azure publishes no GPU metric for VMs) and is never stopped.

Shapes: Azure Monitor REST API 2023-10-01, Metrics Batch - Batch
(https://learn.microsoft.com/rest/api/monitor/metrics-batch/batch?view=rest-monitor-2023-10-01);
``Percentage CPU`` in ``Microsoft.Compute/virtualMachines`` (Supported metrics for
Microsoft.Compute/virtualMachines, learn.microsoft.com/azure/azure-monitor/reference/
supported-metrics/microsoft-compute-virtualmachines-metrics). Served by
``sandbox/azure_fake/routes_metrics.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from functions.jobs.reconcile import reconcile
from functions.settings import Settings
from functions.wiring import build_job
from ledger.book import read_records
from sandbox.azure_fake.routes_metrics import put_cpu

SUB = "00000000-0000-4000-8000-000000000001"
WED = datetime(2026, 11, 25, tzinfo=UTC)
WED_2PM = WED + timedelta(hours=14)
TAGS = {"schedule": "office-hours", "idle-stop": "2h", "team": "ml"}


def run(fake: Any, tmp_path: Path, now: datetime) -> Any:
    settings = Settings(
        providers=("azure",), ledger=str(tmp_path / "ledger"), kinds=("vms",)
    ).replace(azure_endpoint_url=fake.url)
    return reconcile(build_job(settings, clock=lambda: now))


def reason(report: Any, name: str) -> str:
    return next(d.reason for d in report.decisions if d.resource.name == name)


def vm(fake: Any, name: str, size: str, tags: dict[str, str], profile: Any = None) -> None:
    made = fake.add_vm(SUB, "rg-ml", name, size, "westeurope", tags, started_at=WED)
    if profile is not None:
        put_cpu(fake, made.id, WED + timedelta(hours=12), 5 * 60, profile)


def test_cpu_idle_vm_is_deallocated_busy_and_gpu_only_vms_are_not(
    fake: Any, tmp_path: Path
) -> None:
    cpu = {**TAGS, "idle-metric": "cpu"}
    vm(fake, "gpu-idle-azure", "Standard_NC4as_T4_v3", cpu, lambda t: 40.0 if t < WED_2PM else 1.0)
    vm(fake, "gpu-train-azure", "Standard_NC4as_T4_v3", cpu, lambda t: 95.0)
    vm(fake, "gpu-by-gpu", "Standard_NC4as_T4_v3", TAGS, lambda t: 0.0)

    first = run(fake, tmp_path, WED + timedelta(hours=16, minutes=10))
    assert reason(first, "gpu-idle-azure").endswith("stops at Wed 16:25 UTC if still idle")
    report = run(fake, tmp_path, WED + timedelta(hours=16, minutes=25))
    assert reason(report, "gpu-idle-azure") == "idle: CPU max 1 % over 2 h (100 % coverage)"
    assert "busy: CPU max 95 %" in reason(report, "gpu-train-azure")
    assert "Azure Monitor publishes no GPU metric for VMs" in reason(report, "gpu-by-gpu")
    assert fake.vm("gpu-idle-azure").power_state == "deallocated"
    assert fake.vm("gpu-train-azure").power_state == "running"
    assert fake.vm("gpu-by-gpu").power_state == "running"
    (stop,) = [r for r in read_records(_store(tmp_path)) if r["x_Action"] == "stop"]
    assert (stop["ResourceName"], stop["x_Trigger"]) == ("gpu-idle-azure", "idle")


def test_a_gap_in_azure_monitor_data_is_unknown(fake: Any, tmp_path: Path) -> None:
    cpu = {**TAGS, "idle-metric": "cpu"}
    made = fake.add_vm(SUB, "rg-ml", "gappy", "Standard_D4s_v5", "westeurope", cpu, started_at=WED)
    put_cpu(fake, made.id, WED + timedelta(hours=12), 3 * 60, lambda t: 0.0)  # stops at 15:00
    report = run(fake, tmp_path, WED + timedelta(hours=16, minutes=10))
    assert "idle unknown: CPU max 0 % over 2 h (46 % coverage)" in reason(report, "gappy")
    assert fake.vm("gappy").power_state == "running"


def test_a_vm_with_only_the_idle_tag_is_judged(fake: Any, tmp_path: Path) -> None:
    """No schedule tag: listed for its idle tag, deallocated by the idle rule alone."""
    only_idle = {"idle-stop": "2h", "idle-metric": "cpu"}
    vm(fake, "idle-only", "Standard_D4s_v5", only_idle, lambda t: 1.0)
    vm(fake, "idle-only-busy", "Standard_D4s_v5", only_idle, lambda t: 60.0)
    vm(fake, "untagged", "Standard_D4s_v5", {"team": "ml"}, lambda t: 0.0)
    run(fake, tmp_path, WED + timedelta(hours=16, minutes=10))
    report = run(fake, tmp_path, WED + timedelta(hours=16, minutes=25))
    assert reason(report, "idle-only") == "idle: CPU max 1 % over 2 h (100 % coverage)"
    assert "busy: CPU max 60 %" in reason(report, "idle-only-busy")
    assert "untagged" not in {d.resource.name for d in report.decisions}
    assert fake.vm("idle-only").power_state == "deallocated"
    assert fake.vm("idle-only-busy").power_state == "running"
    assert fake.vm("untagged").power_state == "running"
    (stop,) = [r for r in read_records(_store(tmp_path)) if r["x_Action"] == "stop"]
    assert (stop["ResourceName"], stop["x_Trigger"]) == ("idle-only", "idle")


def _store(tmp_path: Path) -> Any:
    from providers.store import LocalStore

    return LocalStore(tmp_path / "ledger")
