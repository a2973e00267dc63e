"""Idle Vertex AI Workbench instances on the GCP fake through the reconcile job: judged by
their Compute Engine VM's Ops Agent GPU series; one busy GPU of four, a gap or a VM that
cannot be read keep the instance running; the stop is booked ``x_Trigger=idle``.

Shapes: Notebooks API v2 ``projects.locations.instances`` (discovery document revision
20261006: ``Instance`` names no VM id); Compute Engine v1 ``instances.get`` (the VM of the
same name in the instance's zone, its numeric ``id``); Cloud Monitoring API v3
``projects.timeSeries.list`` with ``agent.googleapis.com/gpu/utilization`` (label
``gpu_number``) on ``gce_instance`` (https://cloud.google.com/monitoring/api/metrics_opsagent).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from gcp_helpers import PROJECT, ZONE

from functions.jobs.reconcile import reconcile
from functions.settings import Settings
from functions.wiring import build_job, connect
from ledger.book import read_records
from providers import KINDS, load
from sandbox.gcp_fake import GcpFake
from sandbox.gcp_fake.gauges import put_utilisation

WED = datetime(2026, 11, 25, tzinfo=UTC)
WED_2PM = WED + timedelta(hours=14)
LABELS = {"schedule": "office-hours", "idle-stop": "2h", "team": "ml"}


def at(hour: int, minute: int = 0) -> datetime:
    return WED + timedelta(hours=hour, minutes=minute)


@pytest.fixture
def job(fake: GcpFake, built: Any, clock: Any, tmp_path: Any) -> Any:
    built.permissions.update(load(KINDS["gcp"]["workbench"]).permissions)
    settings = Settings(
        providers=("gcp",), ledger=str(tmp_path / "ledger"), kinds=("workbench",)
    ).replace(gcp_projects=(PROJECT,), gcp_endpoint_url=fake.url)
    return build_job(settings, clock, connections={"gcp": connect(settings, "gcp")})


def notebook(
    fake: GcpFake,
    name: str,
    profile: Any,
    labels: dict[str, str] = LABELS,
    vm: bool = True,
    **kw: Any,
) -> None:
    """A 4-GPU Workbench instance and (``vm``) the Compute Engine VM it runs on."""
    fake.add_workbench(PROJECT, ZONE, name, "a2-highgpu-4g", labels, gpus=("NVIDIA_TESLA_A100", 4))
    if vm:
        owned = {"goog-workbench-instance": "true"}
        fake.add_instance(
            PROJECT, ZONE, name, "a2-highgpu-4g", owned, gpus=("nvidia-tesla-a100", 4)
        )
        put_utilisation(fake.world, PROJECT, ZONE, name, at(12), 5 * 60, profile, gpus=4, **kw)


def run(job: Any, clock: Any, when: datetime) -> Any:
    clock.now = when
    return reconcile(job)


def reason(report: Any, name: str) -> str:
    return next(d.reason for d in report.decisions if d.resource.name == name)


def states(fake: GcpFake, *names: str) -> dict[str, str]:
    return {n: str(fake.workbench(PROJECT, ZONE, n)["state"]) for n in names}


def test_idle_workbench_is_stopped_busy_ones_never(fake: GcpFake, job: Any, clock: Any) -> None:
    notebook(fake, "wb-idle", lambda t, g: 60.0 if t < WED_2PM else 0.0)
    notebook(fake, "wb-train", lambda t, g: 95.0)
    notebook(fake, "wb-one-of-four", lambda t, g: 70.0 if g == 2 and t >= WED_2PM else 0.0)

    report = run(job, clock, at(15))
    assert "busy: GPU max 60 % over 2 h (the busiest GPU each minute" in reason(report, "wb-idle")
    report = run(job, clock, at(16, 10))
    assert reason(report, "wb-idle").endswith("stops at Wed 16:25 UTC if still idle")
    report = run(job, clock, at(16, 25))
    assert reason(report, "wb-idle") == "idle: GPU max 0 % over 2 h (4 GPUs, 100 % coverage)"
    assert "busy: GPU max 95 %" in reason(report, "wb-train")
    assert "busy: GPU max 70 % over 2 h" in reason(report, "wb-one-of-four")
    assert states(fake, "wb-idle", "wb-train", "wb-one-of-four") == {
        "wb-idle": "STOPPED",
        "wb-train": "ACTIVE",
        "wb-one-of-four": "ACTIVE",
    }
    (stop,) = [r for r in read_records(job.store) if r["x_Action"] == "stop"]
    assert (stop["ResourceName"], stop["x_Trigger"]) == ("wb-idle", "idle")
    assert stop["x_Kind"] == "workbench"


def test_a_gap_or_an_unreadable_vm_is_unknown(fake: GcpFake, job: Any, clock: Any) -> None:
    quiet = lambda t, g: 0.0  # noqa: E731
    notebook(fake, "wb-gappy", quiet, skip=((at(15), at(15, 30)),))
    notebook(fake, "wb-no-vm", quiet, vm=False)
    run(job, clock, at(16, 10))
    report = run(job, clock, at(16, 25))
    assert "idle unknown: GPU max 0 % over 2 h (4 GPUs, 75 % coverage)" in reason(
        report, "wb-gappy"
    )
    assert reason(report, "wb-no-vm").startswith("office-hours: on")
    assert "idle unknown: its Compute Engine VM is unreadable" in reason(report, "wb-no-vm")
    assert states(fake, "wb-gappy", "wb-no-vm") == {"wb-gappy": "ACTIVE", "wb-no-vm": "ACTIVE"}


def test_idle_label_alone_and_an_override(fake: GcpFake, job: Any, clock: Any) -> None:
    quiet = lambda t, g: 0.0  # noqa: E731
    notebook(fake, "wb-idle-only", quiet, labels={"idle-stop": "2h"})
    notebook(
        fake,
        "wb-kept",
        quiet,
        labels={**LABELS, "schedule-override": "running-until-20261125t2200z"},
    )
    fake.add_workbench(PROJECT, ZONE, "wb-unlabelled", "e2-standard-4", {"team": "ml"})
    run(job, clock, at(16, 10))
    report = run(job, clock, at(16, 25))
    assert reason(report, "wb-idle-only") == "idle: GPU max 0 % over 2 h (4 GPUs, 100 % coverage)"
    assert reason(report, "wb-kept").startswith("override: running until")
    assert "wb-unlabelled" not in {d.resource.name for d in report.decisions}
    assert states(fake, "wb-idle-only", "wb-kept") == {
        "wb-idle-only": "STOPPED",
        "wb-kept": "ACTIVE",
    }


def test_bad_idle_labels_are_that_instance_s_problem(fake: GcpFake, job: Any, clock: Any) -> None:
    """A typo in the idle label leaves that instance alone with the forms that work, even
    when it is stopped (nothing to measure); the rest are scheduled as usual."""
    typo = {**LABELS, "idle-stop": "forever"}
    fake.add_workbench(PROJECT, ZONE, "wb-typo", "e2-standard-4", typo, state="STOPPED")
    fake.add_workbench(PROJECT, ZONE, "wb-fine", "e2-standard-4", {"schedule": "office-hours"})
    report = run(job, clock, at(20))
    assert "'forever' is not a window" in reason(report, "wb-typo")
    assert states(fake, "wb-typo", "wb-fine") == {"wb-typo": "STOPPED", "wb-fine": "STOPPED"}
