"""When an idle-stopped EC2 box comes back, on moto through the reconcile job, and the idle
rule's settings taken from the environment.

``idle-restart=next-on`` (the default) starts the box at its schedule's next on-transition;
``idle-restart=manual`` keeps it off across that transition until ``offhours wake``. The
threshold and the notice window come from ``OFFHOURS_IDLE_THRESHOLD_PERCENT`` and
``OFFHOURS_IDLE_NOTICE_MINUTES``; a resource's ``idle-threshold`` tag sets its own.

Metric shapes as in ``test_aws_gpu_idle.py``: the CloudWatch agent's
``nvidia_smi_utilization_gpu`` per GPU (``index``) in ``CWAgent`` (AWS CloudWatch User Guide,
"Collect NVIDIA GPU metrics"; CloudWatch API 2010-08-01 ``ListMetrics``/``GetMetricData``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from aws_kit import REGION, at, decision_for, make_job, rows, run, settings_for

from functions.settings import Settings
from providers.base import Action
from sandbox.aws_fleet import Box, instance_states, launch, set_launch_time
from sandbox.aws_gpu import put_gpu_utilisation

TAGS = {"schedule": "office-hours", "idle-stop": "2h", "team": "ml"}
WED_2PM = at(2, 14, 0)


def quiet_after_2pm(when: datetime, gpu: int) -> float:
    return 60.0 if when < WED_2PM else 0.0


def eight_percent_after_2pm(when: datetime, gpu: int) -> float:
    return 60.0 if when < WED_2PM else 8.0


def fleet(clients: Any, boxes: dict[str, dict[str, str]], profile: Any) -> None:
    for name, tags in boxes.items():
        instance_id = launch(clients.ec2, Box(name, "g5.12xlarge", tags))
        set_launch_time(instance_id, at(0, 8, 0))
        put_gpu_utilisation(clients.cloudwatch, instance_id, at(2, 12), 5 * 60, profile, 4)


def test_next_on_comes_back_at_the_next_on_transition_manual_only_when_woken(
    clients: Any, clock: Any, calls: Any, tmp_path: Path
) -> None:
    boxes = {
        "gpu-next-on": {**TAGS, "idle-restart": "next-on"},
        "gpu-manual": {**TAGS, "idle-restart": "manual"},
    }
    fleet(clients, boxes, quiet_after_2pm)
    job = make_job(settings_for(tmp_path, ["ec2"]), clock, calls)
    run(job, clock, at(2, 16, 10))  # found idle: announced for 16:25
    run(job, clock, at(2, 16, 25))
    assert instance_states(clients.ec2) == {"gpu-next-on": "stopped", "gpu-manual": "stopped"}

    report = run(job, clock, at(3, 8, 5))  # Thursday's on-transition
    assert instance_states(clients.ec2) == {"gpu-next-on": "running", "gpu-manual": "stopped"}
    held = decision_for(report, "gpu-manual")
    assert held.action is Action.SKIP
    assert held.reason.endswith(
        "stopped as idle at Wed 16:25 UTC: idle-restart=manual, off until offhours wake "
        "or a snooze link"
    )
    run(job, clock, at(3, 11, 0))  # still off later in the working day
    assert instance_states(clients.ec2)["gpu-manual"] == "stopped"

    woken = replace(job, wake=frozenset({"gpu-manual"}))
    report = run(woken, clock, at(3, 11, 15))
    assert decision_for(report, "gpu-manual").reason == "woken by request (offhours wake)"
    assert instance_states(clients.ec2)["gpu-manual"] == "running"
    (back,) = rows(job, ResourceName="gpu-manual", x_Action="start")
    assert back["x_Trigger"] == "idle"  # the off-period the idle stop opened, closed


def test_threshold_and_notice_window_from_the_environment(
    clients: Any, clock: Any, calls: Any, tmp_path: Path
) -> None:
    boxes = {"gpu-loose": TAGS, "gpu-strict": {**TAGS, "idle-threshold": "5"}}
    fleet(clients, boxes, eight_percent_after_2pm)
    env = {
        "OFFHOURS_IDLE_THRESHOLD_PERCENT": "10",
        "OFFHOURS_IDLE_NOTICE_MINUTES": "0",
        "OFFHOURS_AWS_REGIONS": REGION,
        "OFFHOURS_KINDS": "ec2",
        "OFFHOURS_LEDGER": str(tmp_path / "ledger"),
    }
    settings = Settings.from_sources(env=env)
    job = make_job(settings, clock, calls)
    report = run(job, clock, at(2, 16, 10))  # no notice window: stopped at the first look
    assert decision_for(report, "gpu-loose").reason == (
        "idle: GPU max 8 % over 2 h (4 GPUs, 100 % coverage)"
    )
    assert "busy: GPU max 8 % over 2 h" in decision_for(report, "gpu-strict").reason
    assert instance_states(clients.ec2) == {"gpu-loose": "stopped", "gpu-strict": "running"}
    (stop,) = rows(job, ResourceName="gpu-loose", x_Action="stop")
    assert stop["x_Trigger"] == "idle"
