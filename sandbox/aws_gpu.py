"""GPU and CPU utilisation in moto's CloudWatch, as the CloudWatch agent and EC2 publish it.

The agent's NVIDIA plugin publishes ``nvidia_smi_utilization_gpu`` (percent) per GPU in the
``CWAgent`` namespace with dimensions ``index``, ``name`` and ``host``, plus ``InstanceId``
when the agent configuration appends it (AWS docs: "Collect NVIDIA GPU metrics" and
"append_dimensions", CloudWatch agent configuration file). EC2 publishes ``CPUUtilization``
in ``AWS/EC2`` by ``InstanceId`` every 5 minutes under basic monitoring.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

# percent at (minute index, gpu index)
Profile = Callable[[datetime, int], float]


def put_gpu_utilisation(
    cloudwatch: Any,
    instance_id: str,
    start: datetime,
    minutes: int,
    profile: Profile,
    gpus: int = 1,
    namespace: str = "CWAgent",
    skip: Sequence[tuple[datetime, datetime]] = (),
    combined: bool = False,
) -> None:
    """One point per GPU per minute from ``start``; ``skip``: spans the agent was silent.
    ``combined``: also the series of an agent with ``aggregation_dimensions:
    [["InstanceId"]]`` (``InstanceId`` only; its Maximum is the busiest GPU's)."""
    data = []
    for minute in range(minutes):
        at = start + timedelta(minutes=minute)
        if any(a <= at < b for a, b in skip):
            continue
        if combined:
            data.append(
                {
                    "MetricName": "nvidia_smi_utilization_gpu",
                    "Dimensions": [{"Name": "InstanceId", "Value": instance_id}],
                    "Timestamp": at,
                    "Value": max(float(profile(at, gpu)) for gpu in range(gpus)),
                    "Unit": "Percent",
                }
            )
        data += [
            {
                "MetricName": "nvidia_smi_utilization_gpu",
                "Dimensions": [
                    {"Name": "InstanceId", "Value": instance_id},
                    {"Name": "index", "Value": str(gpu)},
                    {"Name": "name", "Value": "NVIDIA A10G"},
                    {"Name": "host", "Value": f"ip-10-0-0-{gpu + 10}.ec2.internal"},
                ],
                "Timestamp": at,
                "Value": float(profile(at, gpu)),
                "Unit": "Percent",
            }
            for gpu in range(gpus)
        ]
    for i in range(0, len(data), 1000):
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[i : i + 1000])


def put_cpu_utilisation(
    cloudwatch: Any,
    instance_id: str,
    start: datetime,
    minutes: int,
    profile: Callable[[datetime], float],
) -> None:
    """EC2 basic monitoring: one ``CPUUtilization`` point every 5 minutes."""
    data = [
        {
            "MetricName": "CPUUtilization",
            "Dimensions": [{"Name": "InstanceId", "Value": instance_id}],
            "Timestamp": start + timedelta(minutes=m),
            "Value": float(profile(start + timedelta(minutes=m))),
            "Unit": "Percent",
        }
        for m in range(0, minutes, 5)
    ]
    for i in range(0, len(data), 1000):
        cloudwatch.put_metric_data(Namespace="AWS/EC2", MetricData=data[i : i + 1000])
