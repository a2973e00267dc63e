"""The demo's idle pair on each cloud: ``gpu-idle-<cloud>`` (busy until Wednesday 14:00,
then 0 %: stopped by the idle rule that afternoon) and ``gpu-train-<cloud>`` (95 % all week:
never idle-stopped). Both carry ``schedule=office-hours`` and ``idle-stop=2h``; their agent
publishes a point a minute while they run in office hours (Mon-Fri 08:00-19:00 UTC).
Azure publishes no GPU metric for VMs, so its pair is judged by CPU (``idle-metric=cpu``);
its GPU notebook ``gpu-idle-notebook`` (an Azure ML compute instance in the ``ml-research``
workspace, whose office-hours schedule it inherits) is judged by the workspace's
``GpuUtilizationPercentage`` and goes quiet at the same time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

TAGS = {"schedule": "office-hours", "idle-stop": "2h", "team": "research"}
_DAY = timedelta(hours=11)  # 08:00-19:00


def profiles(monday: datetime) -> dict[str, Callable[[datetime], float]]:
    drop = monday + timedelta(days=2, hours=14)
    return {
        "gpu-idle": lambda at: 60.0 if at < drop else 0.0,
        "gpu-train": lambda at: 95.0,
    }


def _per_gpu(profile: Callable[[datetime], float]) -> Callable[[datetime, int], float]:
    """The same percent on every GPU."""

    def value(at: datetime, _gpu: int) -> float:
        return profile(at)

    return value


def office_days(monday: datetime) -> Iterator[datetime]:
    for day in range(5):
        yield monday + timedelta(days=day, hours=8)


def seed_aws(ec2: Any, cloudwatch: Any, monday: datetime) -> dict[str, str]:
    from sandbox import aws_fleet
    from sandbox.aws_gpu import put_gpu_utilisation

    ids = {}
    for name, profile in profiles(monday).items():
        box = aws_fleet.Box(f"{name}-aws", "g4dn.xlarge", TAGS)
        ids[box.name] = aws_fleet.launch(ec2, box)
        aws_fleet.set_launch_time(ids[box.name], monday - timedelta(days=3))
        for start in office_days(monday):
            minutes = int(_DAY.total_seconds() // 60)
            put_gpu_utilisation(cloudwatch, ids[box.name], start, minutes, _per_gpu(profile))
    return ids


def seed_gcp(fake: Any, project: str, zone: str, monday: datetime) -> None:
    from sandbox.gcp_fake.gauges import put_utilisation

    for name, profile in profiles(monday).items():
        fake.add_instance(
            project,
            zone,
            f"{name}-gcp",
            "g2-standard-8",
            TAGS,
            gpus=("nvidia-l4", 1),
            started=monday - timedelta(days=3),
        )
        for start in office_days(monday):
            minutes = int(_DAY.total_seconds() // 60)
            put_utilisation(
                fake.world,
                project,
                zone,
                f"{name}-gcp",
                start,
                minutes,
                _per_gpu(profile),
                gpus=1,
            )


def seed_azure(fake: Any, subscription: str, region: str, monday: datetime) -> None:
    from sandbox.azure_fake.ml_metrics import put_ml_utilisation
    from sandbox.azure_fake.routes_metrics import put_cpu

    for name, profile in profiles(monday).items():
        vm = fake.add_vm(
            subscription,
            "ml-rg",
            f"{name}-azure",
            "Standard_NC4as_T4_v3",
            region,
            {**TAGS, "idle-metric": "cpu"},
            started_at=monday - timedelta(days=3),
        )
        for start in office_days(monday):
            put_cpu(fake, vm.id, start, int(_DAY.total_seconds() // 60), profile)
    notebook = fake.add_ml_compute(
        subscription,
        "ml-rg",
        "ml-research",
        "gpu-idle-notebook",
        "STANDARD_NC4AS_T4_V3",
        region,
        tags={"idle-stop": "2h", "team": "research"},
    )
    quiet = _per_gpu(profiles(monday)["gpu-idle"])
    for start in office_days(monday):
        minutes = int(_DAY.total_seconds() // 60)
        put_ml_utilisation(fake, notebook.workspace.id, notebook.name, start, minutes, quiet, 1)
