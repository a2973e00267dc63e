"""Idle GPU VMs on the GCP fake through the reconcile job: the Ops Agent's per-GPU
utilisation decides; one busy GPU of four, a gap in the data or an override keep the VM
running; the stop is booked ``x_Trigger=idle``.

Shapes: Cloud Monitoring API v3 ``projects.timeSeries.list`` (aligned GAUGE DOUBLE points,
newest first); ``agent.googleapis.com/gpu/utilization`` (percent, label ``gpu_number``) and
``compute.googleapis.com/instance/cpu/utilization`` (a fraction) on ``gce_instance``
(https://cloud.google.com/monitoring/api/metrics_opsagent,
https://cloud.google.com/monitoring/api/metrics_gcp_c). Served by ``sandbox/gcp_fake/gauges.py``.
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
from sandbox.gcp_fake.gauges import put_gpu_process, put_utilisation

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)
WED_2PM = MONDAY + timedelta(days=2, hours=14)
LABELS = {"schedule": "office-hours", "idle-stop": "2h", "team": "ml"}


def at(hour: int, minute: int = 0) -> datetime:
    return MONDAY + timedelta(days=2, hours=hour, minutes=minute)


@pytest.fixture
def job(fake: GcpFake, built: Any, clock: Any, tmp_path: Any) -> Any:
    built.permissions.update(load(KINDS["gcp"]["instances"]).permissions)
    settings = Settings(
        providers=("gcp",), ledger=str(tmp_path / "ledger"), kinds=("instances",)
    ).replace(gcp_projects=(PROJECT,), gcp_endpoint_url=fake.url)
    return build_job(settings, clock, connections={"gcp": connect(settings, "gcp")})


def vm(fake: GcpFake, name: str, profile: Any, labels: dict[str, str] = LABELS, **kw: Any) -> None:
    fake.add_instance(
        PROJECT, ZONE, name, "g2-standard-48", labels, gpus=("nvidia-l4", 4), started=at(-48)
    )
    put_utilisation(fake.world, PROJECT, ZONE, name, at(12), 5 * 60, profile, gpus=4, **kw)


def run(job: Any, clock: Any, when: datetime) -> Any:
    clock.now = when
    return reconcile(job)


def reason(report: Any, name: str) -> str:
    return next(d.reason for d in report.decisions if d.resource.name == name)


def status(fake: GcpFake) -> dict[str, str]:
    return {i["name"]: i["status"] for i in fake.instances(PROJECT)}


def test_idle_gpu_vm_is_stopped_busy_ones_never(fake: GcpFake, job: Any, clock: Any) -> None:
    vm(fake, "gpu-idle-gcp", lambda t, g: 60.0 if t < WED_2PM else 0.0)
    vm(fake, "gpu-train-gcp", lambda t, g: 95.0)
    vm(fake, "one-of-four", lambda t, g: 70.0 if g == 3 and t >= WED_2PM else 1.0)

    report = run(job, clock, at(15))
    # A first look reads the busiest GPU minute by minute (one series, REDUCE_MAX): enough
    # to prove busy; only a VM it shows quiet has each GPU read (the idle verdict below).
    busy = "busy: GPU max 60 % over 2 h (the busiest GPU each minute, 100 % coverage)"
    assert busy in reason(report, "gpu-idle-gcp")

    report = run(job, clock, at(16, 10))
    assert reason(report, "gpu-idle-gcp").endswith("stops at Wed 16:25 UTC if still idle")
    report = run(job, clock, at(16, 25))
    assert reason(report, "gpu-idle-gcp") == "idle: GPU max 0 % over 2 h (4 GPUs, 100 % coverage)"
    assert "busy: GPU max 95 %" in reason(report, "gpu-train-gcp")
    assert "busy: GPU max 70 %" in reason(report, "one-of-four")
    assert status(fake) == {
        "gpu-idle-gcp": "TERMINATED",
        "gpu-train-gcp": "RUNNING",
        "one-of-four": "RUNNING",
    }
    (stop,) = [
        r
        for r in read_records(job.store)
        if r["ResourceName"] == "gpu-idle-gcp" and r["x_Action"] == "stop"
    ]
    assert stop["x_Trigger"] == "idle"


def test_a_gap_is_unknown_and_an_override_wins(fake: GcpFake, job: Any, clock: Any) -> None:
    quiet = lambda t, g: 0.0  # noqa: E731
    vm(fake, "gappy", quiet, skip=((at(15), at(15, 30)),))
    override = {**LABELS, "schedule-override": "running-until-20261125t2200z"}
    vm(fake, "kept", quiet, labels=override)
    report = run(job, clock, at(16, 10))
    assert "idle unknown: GPU max 0 % over 2 h (4 GPUs, 75 % coverage)" in reason(report, "gappy")
    assert reason(report, "kept").startswith("override: running until")
    assert status(fake) == {"gappy": "RUNNING", "kept": "RUNNING"}


def test_a_cpu_vm_is_judged_by_cpu(fake: GcpFake, job: Any, clock: Any) -> None:
    labels = {**LABELS, "idle-metric": "cpu"}
    fake.add_instance(PROJECT, ZONE, "dev-cpu", "n2-standard-4", labels, started=at(-48))
    put_utilisation(fake.world, PROJECT, ZONE, "dev-cpu", at(12), 5 * 60, lambda t, g: 2.0)
    run(job, clock, at(16, 10))
    report = run(job, clock, at(16, 25))
    assert reason(report, "dev-cpu") == "idle: CPU max 2 % over 2 h (100 % coverage)"
    assert status(fake) == {"dev-cpu": "TERMINATED"}


def test_a_vm_with_only_the_idle_label_is_judged(fake: GcpFake, job: Any, clock: Any) -> None:
    """No schedule label: listed by ``(labels.schedule:*) OR (labels.idle-stop:*)`` and
    stopped by the idle rule alone; an unlabelled VM is not listed."""
    only_idle = {"idle-stop": "2h", "team": "ml"}
    vm(fake, "idle-only", lambda t, g: 0.0, labels=only_idle)
    vm(fake, "idle-only-busy", lambda t, g: 90.0 if g == 1 else 0.0, labels=only_idle)
    fake.add_instance(PROJECT, ZONE, "unlabelled", "n2-standard-4", {}, started=at(-48))
    run(job, clock, at(16, 10))
    report = run(job, clock, at(16, 25))
    assert reason(report, "idle-only") == "idle: GPU max 0 % over 2 h (4 GPUs, 100 % coverage)"
    assert "busy: GPU max 90 %" in reason(report, "idle-only-busy")
    assert "unlabelled" not in {d.resource.name for d in report.decisions}
    assert status(fake) == {
        "idle-only": "TERMINATED",
        "idle-only-busy": "RUNNING",
        "unlabelled": "RUNNING",
    }
    (stop,) = [r for r in read_records(job.store) if r["x_Action"] == "stop"]
    assert (stop["ResourceName"], stop["x_Trigger"]) == ("idle-only", "idle")


def test_the_process_metric_names_what_ran_and_never_decides(
    fake: GcpFake, job: Any, clock: Any
) -> None:
    """``agent.googleapis.com/gpu/processes/utilization`` (``command_line``) only names the
    work on a VM the device metric finds busy; a lifetime process figure of 40 % on a VM
    whose GPUs read 0 % does not keep it running."""
    vm(fake, "trainer", lambda t, g: 93.0)
    put_gpu_process(fake.world, PROJECT, ZONE, "trainer", at(12), 5 * 60, "python  train.py", 91.0)
    put_gpu_process(
        fake.world, PROJECT, ZONE, "trainer", at(12), 5 * 60, "jupyter-lab", 3.0, gpu=1, pid=77
    )
    vm(fake, "quiet", lambda t, g: 0.0)
    put_gpu_process(fake.world, PROJECT, ZONE, "quiet", at(12), 5 * 60, "python idle.py", 40.0)
    report = run(job, clock, at(16, 10))
    assert reason(report, "trainer").endswith(
        "busy: GPU max 93 % over 2 h (the busiest GPU each minute, 100 % coverage)"
        " (python train.py, jupyter-lab)"
    )
    report = run(job, clock, at(16, 25))
    assert "busy: GPU max 93 %" in reason(report, "trainer")  # the remembered look
    assert reason(report, "quiet") == "idle: GPU max 0 % over 2 h (4 GPUs, 100 % coverage)"
    assert status(fake) == {"trainer": "RUNNING", "quiet": "TERMINATED"}


def test_probes_read_one_series_and_the_full_read_every_gpu(fake: GcpFake, job: Any) -> None:
    """The GCP reader against the fake: ``REDUCE_MAX`` grouped by ``instance_id`` answers one
    series per VM, the busiest GPU each minute; a ``metric.labels.gpu_number`` term one GPU;
    no probe every GPU. Only the last is a full measurement (``Aggregation``,
    https://cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.timeSeries/list)."""
    from providers.gcp.utilisation import Calls, measure
    from providers.idle_check import Want
    from providers.idle_rule import ALL_DEVICES, Rule, Signal

    vm(fake, "one-of-four", lambda t, g: 70.0 if g == 3 and t >= WED_2PM else 1.0)
    number = next(i["id"] for i in fake.instances(PROJECT) if i["name"] == "one-of-four")
    connection = job.connections["gcp"]
    rule, calls = Rule(timedelta(hours=2)), Calls()

    def read(probe: str) -> Any:
        want = Want(str(number), Signal.GPU, rule, probe)
        base = connection.base_url("monitoring")
        got = measure(connection.session(), base, PROJECT, [want], at(16), calls)
        return got[str(number)]

    reduced, one, every = read(ALL_DEVICES), read("3"), read("")
    assert [s.device for s in reduced.series] == [ALL_DEVICES] and reduced.partial
    assert max(v for _, v in reduced.series[0].points) == 70.0
    assert [s.device for s in one.series] == ["3"] and one.partial
    assert sorted(s.device for s in every.series) == ["0", "1", "2", "3"] and not every.partial
    assert calls.series_returned == 1 + 1 + 4
