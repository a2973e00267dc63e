"""The demo's idle pair on every cloud, on a Wednesday afternoon of the demo week:
``gpu-idle-<cloud>`` (0 % from 14:00) is stopped by the idle rule with a reason that names
the measurement; ``gpu-train-<cloud>`` (95 %) is never idle-stopped. The demo's worlds
(moto, the GCP fake, the Azure fake) and the real reconcile job, every 15 minutes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from functions.cli.demo import DEMO_TZ, SimClock, week_steps
from functions.jobs.reconcile import reconcile
from functions.settings import Settings
from functions.wiring import build_job, connect
from ledger.book import read_records
from providers.store import LocalStore
from sandbox.worlds import WORLDS

MONDAY = datetime(2026, 11, 16, tzinfo=UTC)  # the demo's default week


@pytest.mark.parametrize("provider", ["aws", "gcp", "azure"])
def test_the_demo_stops_gpu_idle_by_the_idle_rule_and_never_gpu_train(
    provider: str, tmp_path: Path
) -> None:
    begin = MONDAY + timedelta(days=2, hours=13)
    clock = SimClock(begin)
    ledger = tmp_path / "ledger"
    with WORLDS[provider](clock, MONDAY) as world:
        settings = Settings(providers=(provider,), ledger=str(ledger), default_tz=DEMO_TZ)
        settings = replace(settings.replace(**world.settings), kinds=_kinds(provider))
        connections = {provider: connect(settings, provider)}
        job = build_job(settings, clock, connections=connections, store=LocalStore(ledger))
        for at in week_steps(begin, begin + timedelta(hours=4)):
            clock.now = at
            reconcile(job)
    rows = list(read_records(LocalStore(ledger)))
    idle = [r for r in rows if r.get("x_Trigger") == "idle" and r["x_Action"] == "stop"]
    assert [r["ResourceName"] for r in idle] == [f"gpu-idle-{provider}"]
    signal = "CPU" if provider == "azure" else "GPU"
    assert idle[0]["x_Reason"].startswith(f"idle: {signal} max 0 % over 2 h")
    # First found idle at 16:15 (the first quiet window), stopped at the end of its notice.
    assert idle[0]["x_RecordedAt"] == "2026-11-18T16:30:00Z"
    assert not [r for r in rows if r["ResourceName"] == f"gpu-train-{provider}"]


def test_the_demo_s_azure_gpu_notebook_is_stopped_by_its_gpu(tmp_path: Path) -> None:
    """``gpu-idle-notebook``, an Azure ML compute instance, is judged by the workspace's
    ``GpuUtilizationPercentage`` (Azure VMs have no GPU metric; notebooks do)."""
    begin = MONDAY + timedelta(days=2, hours=13)
    clock = SimClock(begin)
    ledger = tmp_path / "ledger"
    with WORLDS["azure"](clock, MONDAY) as world:
        settings = Settings(providers=("azure",), ledger=str(ledger), default_tz=DEMO_TZ)
        settings = replace(settings.replace(**world.settings), kinds=("ml-compute",))
        connections = {"azure": connect(settings, "azure")}
        job = build_job(settings, clock, connections=connections, store=LocalStore(ledger))
        for at in week_steps(begin, begin + timedelta(hours=4)):
            clock.now = at
            reconcile(job)
    rows = list(read_records(LocalStore(ledger)))
    (stop,) = [r for r in rows if r["x_Action"] == "stop"]
    assert (stop["ResourceName"], stop["x_Trigger"]) == ("ml-research/gpu-idle-notebook", "idle")
    assert stop["x_Reason"].startswith("idle: GPU max 0 % over 2 h (1 GPU, 100 % coverage)")
    assert stop["x_RecordedAt"] == "2026-11-18T16:30:00Z"


def _kinds(provider: str) -> tuple[str, ...]:
    return {"aws": ("ec2",), "gcp": ("instances",), "azure": ("vms",)}[provider]
