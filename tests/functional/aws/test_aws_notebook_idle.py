"""Idle SageMaker notebook instances on moto through the reconcile job.

SageMaker publishes no utilisation for notebook instances; the CloudWatch agent started by a
lifecycle configuration does, with ``notebook_instance_name`` appended (AWS sample
``publish-instance-metrics``, namespace ``SageMakerNotebookInstances``): per-GPU
``nvidia_smi_utilization_gpu`` and the idle share ``cpu_usage_idle`` (``cpu=cpu-total``).
Read with CloudWatch API 2010-08-01 ``ListMetrics`` (no namespace, filtered by the dimension)
and ``GetMetricData``; seeded with moto's ``put_metric_data``
(``sandbox/aws_notebook_metrics.py``).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from aws_kit import ACCOUNT, at, decision_for, make_job, rows, run, settings_for

from providers.base import Action
from sandbox.aws_more import backdate_sagemaker
from sandbox.aws_notebook_metrics import put_notebook_utilisation

ROLE = f"arn:aws:iam::{ACCOUNT}:role/notebooks"
TAGS = {"schedule": "office-hours", "idle-stop": "2h", "team": "ml"}
WED_2PM = at(2, 14)
FOUR_GPUS = "ml.p3.8xlarge"  # 4 V100s


def notebook(clients: Any, name: str, size: str, tags: dict[str, str]) -> None:
    clients.sagemaker.create_notebook_instance(
        NotebookInstanceName=name,
        InstanceType=size,
        RoleArn=ROLE,
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
    )


def publish(clients: Any, name: str, profile: Any, gpus: int = 4, **kw: Any) -> None:
    put_notebook_utilisation(clients.cloudwatch, name, at(2, 12), 5 * 60, profile, gpus, **kw)


def statuses(clients: Any) -> dict[str, str]:
    listed = clients.sagemaker.list_notebook_instances()["NotebookInstances"]
    return {n["NotebookInstanceName"]: n["NotebookInstanceStatus"] for n in listed}


def quiet_after_2pm(when: datetime, gpu: int) -> float:
    return 60.0 if when < WED_2PM else 0.0


@pytest.fixture
def job(tmp_path: Path, clock: Any, calls: Any, aws: None) -> Any:
    return make_job(settings_for(tmp_path, ["sagemaker-notebooks"]), clock, calls)


def test_idle_gpu_notebook_is_stopped_busy_ones_never(clients: Any, job: Any, clock: Any) -> None:
    for name in ("gpu-idle-nb", "gpu-train-nb", "one-of-four"):
        notebook(clients, name, FOUR_GPUS, TAGS)
    backdate_sagemaker(at(0, 8), ACCOUNT)
    publish(clients, "gpu-idle-nb", quiet_after_2pm)
    publish(clients, "gpu-train-nb", lambda t, g: 95.0)
    publish(clients, "one-of-four", lambda t, g: 70.0 if g == 3 and t >= WED_2PM else 0.0)

    report = run(job, clock, at(2, 15))
    assert "busy: GPU max 60 % over 2 h (4 GPUs" in decision_for(report, "gpu-idle-nb").reason
    report = run(job, clock, at(2, 16, 10))
    assert decision_for(report, "gpu-idle-nb").reason.endswith(
        "stops at Wed 16:25 UTC if still idle"
    )
    report = run(job, clock, at(2, 16, 25))
    stop = decision_for(report, "gpu-idle-nb")
    assert (stop.action, stop.reason) == (
        Action.STOP,
        "idle: GPU max 0 % over 2 h (4 GPUs, 100 % coverage)",
    )
    assert "busy: GPU max 95 %" in decision_for(report, "gpu-train-nb").reason
    assert "busy: GPU max 70 % over 2 h (4 GPUs" in decision_for(report, "one-of-four").reason
    assert statuses(clients) == {
        "gpu-idle-nb": "Stopped",
        "gpu-train-nb": "InService",
        "one-of-four": "InService",
    }
    (row,) = rows(job, ResourceName="gpu-idle-nb", x_Action="stop")
    assert (row["x_Trigger"], row["x_Reason"]) == ("idle", stop.reason)


def test_a_gap_and_a_silent_notebook_are_unknown(clients: Any, job: Any, clock: Any) -> None:
    notebook(clients, "gappy", FOUR_GPUS, TAGS)
    notebook(clients, "silent", FOUR_GPUS, TAGS)
    backdate_sagemaker(at(0, 8), ACCOUNT)
    publish(clients, "gappy", quiet_after_2pm, skip=[(at(2, 15), at(2, 15, 30))])
    report = run(job, clock, at(2, 16, 10))
    gappy = decision_for(report, "gappy").reason
    assert "idle unknown: GPU max 0 % over 2 h (4 GPUs, 75 % coverage)" in gappy
    silent = decision_for(report, "silent").reason
    assert "idle unknown: no GPU data over 2 h" in silent
    assert "SageMaker publishes no utilisation for notebook instances" in silent
    run(job, clock, at(2, 16, 25))
    assert statuses(clients) == {"gappy": "InService", "silent": "InService"}


def test_idle_only_cpu_notebook_is_judged_by_the_agent_s_cpu(
    clients: Any, job: Any, clock: Any
) -> None:
    """No schedule tag: the idle tag alone selects it; ``cpu_usage_idle`` 98 % is 2 % busy."""
    only_idle = {"idle-stop": "2h", "team": "web"}
    notebook(clients, "dev-cpu", "ml.t3.medium", only_idle)
    notebook(clients, "dev-busy", "ml.t3.medium", only_idle)
    backdate_sagemaker(at(0, 8), ACCOUNT)
    publish(clients, "dev-cpu", lambda t, g: 2.0, gpus=0)
    publish(clients, "dev-busy", lambda t, g: 40.0 if t.minute == 7 else 1.0, gpus=0)
    run(job, clock, at(2, 16, 10))
    report = run(job, clock, at(2, 16, 25))
    assert decision_for(report, "dev-cpu").reason == "idle: CPU max 2 % over 2 h (100 % coverage)"
    assert "busy: CPU max 40 %" in decision_for(report, "dev-busy").reason
    assert statuses(clients) == {"dev-cpu": "Stopped", "dev-busy": "InService"}


def test_an_override_wins(clients: Any, job: Any, clock: Any) -> None:
    notebook(
        clients, "kept", FOUR_GPUS, {**TAGS, "schedule-override": "running-until-20261125t2200z"}
    )
    backdate_sagemaker(at(0, 8), ACCOUNT)
    publish(clients, "kept", lambda t, g: 0.0)
    run(job, clock, at(2, 16, 10))
    report = run(job, clock, at(2, 16, 25))
    assert decision_for(report, "kept").reason.startswith("override: running until")
    assert statuses(clients) == {"kept": "InService"}


def test_the_agent_s_combined_series_is_read_alone(clients: Any, job: Any, clock: Any) -> None:
    """With the notebook's name as an aggregation dimension the agent also publishes one
    series over all GPUs; one busy GPU of four still shows in its Maximum."""
    notebook(clients, "quiet", FOUR_GPUS, TAGS)
    notebook(clients, "one-busy", FOUR_GPUS, TAGS)
    backdate_sagemaker(at(0, 8), ACCOUNT)
    publish(clients, "quiet", lambda t, g: 0.0, combined=True)
    publish(clients, "one-busy", lambda t, g: 70.0 if g == 1 else 0.0, combined=True)
    run(job, clock, at(2, 16, 10))
    report = run(job, clock, at(2, 16, 25))
    assert (
        decision_for(report, "quiet").reason
        == "idle: GPU max 0 % over 2 h (all GPUs, 100 % coverage)"
    )
    assert "busy: GPU max 70 % over 2 h (all GPUs" in decision_for(report, "one-busy").reason
    assert statuses(clients) == {"quiet": "Stopped", "one-busy": "InService"}
