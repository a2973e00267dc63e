"""Idle GPU and CPU boxes on moto through the reconcile job: the idle rule stops a box whose
GPUs went quiet, never one whose GPU (any one of four) is busy, never on a gap in the data,
never against an override; the stop is booked ``x_Trigger=idle`` and the box comes back at
its schedule's next on-transition.

Metric shapes: the CloudWatch agent's NVIDIA plugin publishes ``nvidia_smi_utilization_gpu``
(percent, per GPU by ``index``) in ``CWAgent``; EC2 publishes ``AWS/EC2`` ``CPUUtilization``
by ``InstanceId`` (AWS CloudWatch User Guide, "Collect NVIDIA GPU metrics" and "List the
available CloudWatch metrics for your instances"; CloudWatch API 2010-08-01
``ListMetrics``/``GetMetricData``). moto 5.2 serves both calls for data put with
``put_metric_data``.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aws_kit import at, decision_for, make_job, rows, run, settings_for

from functions.jobs.digest import render_digest
from providers.base import Action
from sandbox.aws_fleet import Box, instance_states, launch, set_launch_time
from sandbox.aws_gpu import put_cpu_utilisation, put_gpu_utilisation

IDLE_TAGS = {"schedule": "office-hours", "idle-stop": "2h", "team": "ml"}
WED_2PM = at(2, 14, 0)


def quiet_after_2pm(when: datetime, gpu: int) -> float:
    return 60.0 if when < WED_2PM else 0.0


def busy(when: datetime, gpu: int) -> float:
    return 95.0


def one_busy_gpu(when: datetime, gpu: int) -> float:
    return 70.0 if gpu == 2 and when >= WED_2PM else 0.0


@pytest.fixture
def settings(tmp_path: Path) -> Any:
    return settings_for(tmp_path, ["ec2"])


def fleet(clients: Any, boxes: dict[str, tuple[str, dict[str, str]]]) -> dict[str, str]:
    ids = {name: launch(clients.ec2, Box(name, size, tags)) for name, (size, tags) in boxes.items()}
    for instance_id in ids.values():
        set_launch_time(instance_id, at(0, 8, 0))
    return ids


def publish(clients: Any, instance_id: str, profile: Any, gpus: int = 4, **kw: Any) -> None:
    put_gpu_utilisation(clients.cloudwatch, instance_id, at(2, 12), 5 * 60, profile, gpus, **kw)


def test_idle_gpu_box_is_stopped_busy_ones_never(
    clients: Any, settings: Any, clock: Any, calls: Any, tmp_path: Path
) -> None:
    ids = fleet(
        clients,
        {
            "gpu-idle-aws": ("g5.12xlarge", IDLE_TAGS),
            "gpu-train-aws": ("g5.12xlarge", IDLE_TAGS),
            "one-of-four": ("g5.12xlarge", IDLE_TAGS),
        },
    )
    publish(clients, ids["gpu-idle-aws"], quiet_after_2pm)
    publish(clients, ids["gpu-train-aws"], busy)
    publish(clients, ids["one-of-four"], one_busy_gpu)
    job = make_job(settings, clock, calls)

    # 15:00: the window (12:55-14:55) still holds the busy morning.
    report = run(job, clock, at(2, 15, 0))
    assert decision_for(report, "gpu-idle-aws").action is Action.SKIP
    assert "busy: GPU max 60 % over 2 h (4 GPUs" in decision_for(report, "gpu-idle-aws").reason

    # 16:10: the window 14:05-16:05 is all zero on every GPU of gpu-idle: the stop is
    # announced for the end of its notice window, and made then if it is still idle.
    report = run(job, clock, at(2, 16, 10))
    assert decision_for(report, "gpu-idle-aws").action is Action.SKIP
    assert decision_for(report, "gpu-idle-aws").reason.endswith(
        "idle: GPU max 0 % over 2 h (4 GPUs, 100 % coverage); stops at Wed 16:25 UTC if still idle"
    )
    report = run(job, clock, at(2, 16, 25))
    stop = decision_for(report, "gpu-idle-aws")
    assert stop.action is Action.STOP
    assert stop.reason == "idle: GPU max 0 % over 2 h (4 GPUs, 100 % coverage)"
    assert "busy: GPU max 95 %" in decision_for(report, "gpu-train-aws").reason
    assert "busy: GPU max 70 % over 2 h (4 GPUs" in decision_for(report, "one-of-four").reason
    assert instance_states(clients.ec2) == {
        "gpu-idle-aws": "stopped",
        "gpu-train-aws": "running",
        "one-of-four": "running",
    }
    (row,) = rows(job, ResourceName="gpu-idle-aws", x_Action="stop")
    assert row["x_Trigger"] == "idle"
    assert row["x_Reason"] == stop.reason

    # Later that afternoon it stays off (no retry in the hours it was idle in) ...
    report = run(job, clock, at(2, 17, 0))
    assert "stopped as idle at Wed 16:25 UTC" in decision_for(report, "gpu-idle-aws").reason
    assert instance_states(clients.ec2)["gpu-idle-aws"] == "stopped"
    # ... and the schedule's next on-transition brings it back; its savings are idle's.
    run(job, clock, at(3, 8, 5))
    assert instance_states(clients.ec2)["gpu-idle-aws"] == "running"
    (back,) = rows(job, ResourceName="gpu-idle-aws", x_Action="start")
    assert back["x_Trigger"] == "idle"
    assert back["x_AvoidedHours"] == pytest.approx(15 + 40 / 60)

    # The digest says what idle stops saved, per team.
    render_digest(job.store, at(0, 0), at(7, 0), tmp_path / "digest")
    team = (tmp_path / "digest" / "digest-team-ml.txt").read_text()
    saved = back["x_EstimatedSavings"]
    assert f"Stopped as idle:  15.7 hours off, ${saved:,.2f} of the savings" in team
    assert f"Saved:            ${saved:,.2f}" in team  # the idle stop is all this team saved


def test_the_agent_s_combined_series_is_read_alone(
    clients: Any, settings: Any, clock: Any, calls: Any
) -> None:
    """With ``aggregation_dimensions: [["InstanceId"]]`` the agent also publishes one series
    over all GPUs; one busy GPU of four still shows in its Maximum."""
    ids = fleet(
        clients,
        {"gpu-idle-aws": ("g5.12xlarge", IDLE_TAGS), "one-of-four": ("g5.12xlarge", IDLE_TAGS)},
    )
    publish(clients, ids["gpu-idle-aws"], quiet_after_2pm, combined=True)
    publish(clients, ids["one-of-four"], one_busy_gpu, combined=True)
    job = make_job(settings, clock, calls)
    run(job, clock, at(2, 16, 10))
    report = run(job, clock, at(2, 16, 25))
    assert (
        decision_for(report, "gpu-idle-aws").reason
        == "idle: GPU max 0 % over 2 h (all GPUs, 100 % coverage)"
    )
    assert "busy: GPU max 70 % over 2 h (all GPUs" in decision_for(report, "one-of-four").reason
    assert instance_states(clients.ec2) == {"gpu-idle-aws": "stopped", "one-of-four": "running"}


def test_used_again_inside_the_notice_window_it_is_not_stopped(
    clients: Any, settings: Any, clock: Any, calls: Any
) -> None:
    back_at = at(2, 16, 12)
    ids = fleet(clients, {"gpu-idle-aws": ("g5.12xlarge", IDLE_TAGS)})
    publish(
        clients, ids["gpu-idle-aws"], lambda t, g: 80.0 if back_at <= t < at(2, 16, 14) else 0.0
    )
    job = make_job(settings, clock, calls)
    first = run(job, clock, at(2, 16, 10))
    assert "stops at Wed 16:25 UTC if still idle" in decision_for(first, "gpu-idle-aws").reason
    report = run(job, clock, at(2, 16, 25))
    assert "busy: GPU max 80 %" in decision_for(report, "gpu-idle-aws").reason
    assert instance_states(clients.ec2)["gpu-idle-aws"] == "running"


def test_a_gap_in_the_data_is_unknown_and_nothing_stops(
    clients: Any, settings: Any, clock: Any, calls: Any
) -> None:
    ids = fleet(clients, {"gpu-idle-aws": ("g5.12xlarge", IDLE_TAGS)})
    publish(clients, ids["gpu-idle-aws"], quiet_after_2pm, skip=[(at(2, 15), at(2, 15, 30))])
    job = make_job(settings, clock, calls)
    report = run(job, clock, at(2, 16, 10))
    reason = decision_for(report, "gpu-idle-aws").reason
    assert "idle unknown: GPU max 0 % over 2 h (4 GPUs, 75 % coverage)" in reason
    assert instance_states(clients.ec2)["gpu-idle-aws"] == "running"


def test_no_agent_data_at_all_is_unknown(
    clients: Any, settings: Any, clock: Any, calls: Any
) -> None:
    fleet(clients, {"gpu-silent": ("g4dn.xlarge", IDLE_TAGS)})
    report = run(make_job(settings, clock, calls), clock, at(2, 16, 10))
    assert "idle unknown: no GPU data over 2 h" in decision_for(report, "gpu-silent").reason
    assert instance_states(clients.ec2)["gpu-silent"] == "running"


def test_an_override_wins_over_the_idle_rule(
    clients: Any, settings: Any, clock: Any, calls: Any
) -> None:
    tags = {**IDLE_TAGS, "schedule-override": "running-until-20261125t2200z"}
    ids = fleet(clients, {"gpu-idle-aws": ("g5.12xlarge", tags)})
    publish(clients, ids["gpu-idle-aws"], quiet_after_2pm)
    report = run(make_job(settings, clock, calls), clock, at(2, 16, 10))
    assert decision_for(report, "gpu-idle-aws").reason.startswith("override: running until")
    assert instance_states(clients.ec2)["gpu-idle-aws"] == "running"


def test_a_cpu_box_is_judged_by_cpu_and_a_young_box_is_not_idle(
    clients: Any, settings: Any, clock: Any, calls: Any
) -> None:
    tags = {"idle-stop": "2h", "team": "web"}  # idle tag only, no schedule
    ids = fleet(clients, {"dev-cpu": ("m5.large", tags), "dev-new": ("m5.large", tags)})
    for name in ids:
        put_cpu_utilisation(clients.cloudwatch, ids[name], at(2, 8), 10 * 60, lambda _: 1.0)
    set_launch_time(ids["dev-new"], at(2, 15, 0))
    job = make_job(settings, clock, calls)
    run(job, clock, at(2, 16, 10))
    report = run(job, clock, at(2, 16, 25))
    cpu = decision_for(report, "dev-cpu")
    assert (cpu.action, cpu.reason) == (
        Action.STOP,
        "idle: CPU max 1 % over 2 h (100 % coverage)",
    )
    assert "not idle: up since Wed 15:00 UTC" in decision_for(report, "dev-new").reason
    assert instance_states(clients.ec2) == {"dev-cpu": "stopped", "dev-new": "running"}


def test_bad_idle_tags_are_that_resource_s_problem(
    clients: Any, settings: Any, clock: Any, calls: Any
) -> None:
    fleet(
        clients,
        {
            "typo": ("g4dn.xlarge", {**IDLE_TAGS, "idle-metric": "memory"}),
            "fine": ("t3.small", {"schedule": "office-hours"}),
        },
    )
    report = run(make_job(settings, clock, calls), clock, at(2, 20, 0))
    assert "idle-metric='memory': use gpu, cpu or auto" in decision_for(report, "typo").reason
    assert instance_states(clients.ec2) == {"typo": "running", "fine": "stopped"}
