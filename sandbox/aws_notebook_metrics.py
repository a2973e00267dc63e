"""A SageMaker notebook instance's utilisation in moto's CloudWatch, as the CloudWatch agent
publishes it when a lifecycle configuration starts it with the notebook's name appended.

AWS's lifecycle-configuration sample ``publish-instance-metrics`` (aws-samples/
amazon-sagemaker-notebook-instance-lifecycle-config-samples, ``amazon-cloudwatch-agent.json``)
appends ``notebook_instance_name`` and publishes into ``SageMakerNotebookInstances``; its
``cpu`` section (``totalcpu: true``) gives ``cpu_usage_idle`` with ``cpu=cpu-total``. The
agent's NVIDIA plugin gives ``nvidia_smi_utilization_gpu`` per ``index`` (AWS CloudWatch User
Guide, "Collect NVIDIA GPU metrics").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

NAMESPACE = "SageMakerNotebookInstances"


def put_notebook_utilisation(
    cloudwatch: Any,
    notebook: str,
    start: datetime,
    minutes: int,
    profile: Callable[[datetime, int], float],
    gpus: int = 0,
    skip: Sequence[tuple[datetime, datetime]] = (),
    combined: bool = False,
) -> None:
    """One point a minute from ``start``: per GPU (``profile(at, gpu)`` percent busy) when
    ``gpus``, else the notebook's total CPU (stored as the idle share, as the agent does).
    ``combined``: also the series over all GPUs of an agent with ``aggregation_dimensions:
    [["notebook_instance_name"]]`` (its value is the busiest GPU's)."""
    name = {"Name": "notebook_instance_name", "Value": notebook}
    data = []
    for minute in range(minutes):
        at = start + timedelta(minutes=minute)
        if any(a <= at < b for a, b in skip):
            continue
        if not gpus:
            dims = [name, {"Name": "cpu", "Value": "cpu-total"}]
            value = 100.0 - float(profile(at, 0))
            data.append(_point("cpu_usage_idle", dims, at, value))
        if combined and gpus:
            busiest = max(float(profile(at, gpu)) for gpu in range(gpus))
            data.append(_point("nvidia_smi_utilization_gpu", [name], at, busiest))
        for gpu in range(gpus):
            dims = [name, {"Name": "index", "Value": str(gpu)}, {"Name": "name", "Value": "V100"}]
            data.append(_point("nvidia_smi_utilization_gpu", dims, at, float(profile(at, gpu))))
    for i in range(0, len(data), 1000):
        cloudwatch.put_metric_data(Namespace=NAMESPACE, MetricData=data[i : i + 1000])


def _point(metric: str, dims: list[dict[str, str]], at: datetime, value: float) -> dict[str, Any]:
    return {
        "MetricName": metric,
        "Dimensions": dims,
        "Timestamp": at,
        "Value": value,
        "Unit": "Percent",
    }
