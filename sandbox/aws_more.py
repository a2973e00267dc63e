"""More of the embedded AWS: databases, groups, services, notebooks and endpoints in moto.

``seed_demo_more`` adds to the demo fleet of ``aws_fleet.py``. Call it inside an active
``moto.mock_aws()``; it takes a boto3 Session or a mapping of service name -> client.

moto stamps creation times with the wall clock while the demo and the tests run on a
simulated one: ``backdate_sagemaker`` moves seeded notebooks and endpoints back in time,
and ``sagemaker_follows(clock)`` makes moto stamp SageMaker objects created later (an
endpoint offhours recreates) with the simulated time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.aws_fleet import AMI, DEMO_REGION

DEMO_WEEK = datetime(2026, 11, 16, tzinfo=UTC)  # the demo's default Monday
ROLE = "arn:aws:iam::{account}:role/offhours-demo-sagemaker"
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/demo-model:1"
METRIC_STEP = timedelta(minutes=15)


def seed_demo_more(
    session_or_clients: Any, region: str = DEMO_REGION, week_start: datetime = DEMO_WEEK
) -> dict[str, str]:
    """Seed one of each kind beyond EC2; returns name -> kind. CloudWatch gets invocation
    metrics every 15 minutes from a day before ``week_start`` to 8 days after it: zeros
    for ``idle-endpoint``, traffic for ``busy-endpoint``."""
    clients = _Clients(session_or_clients, region)
    seeded: dict[str, str] = {}
    seeded.update(seed_databases(clients.get("rds")))
    seeded.update(seed_group(clients.get("ec2"), clients.get("autoscaling"), region))
    seeded.update(seed_service(clients.get("ecs")))
    account = clients.get("sts").get_caller_identity()["Account"]
    seeded.update(seed_notebooks(clients.get("sagemaker"), account))
    seeded.update(seed_endpoints(clients.get("sagemaker"), account))
    start = week_start - timedelta(days=1)
    put_invocations(clients.get("cloudwatch"), "idle-endpoint", start, days=9, per_step=0)
    put_invocations(clients.get("cloudwatch"), "busy-endpoint", start, days=9, per_step=25)
    backdate_sagemaker(start, account, region)
    return seeded


def seed_window_and_pair(session: Any, region: str, week_start: datetime) -> dict[str, str]:
    """A box off at night that runs for its SSM maintenance window (Sundays 02:00-04:00
    London, entered 10 minutes early), and a database with the app that needs it
    (``offhours-order``) on a schedule of their own, so the two are the whole group."""
    from sandbox import aws_fleet

    session.client("ssm", region_name=region).create_maintenance_window(
        Name="patch-sunday",
        Schedule="cron(0 2 ? * SUN *)",
        ScheduleTimezone="Europe/London",
        Duration=2,
        Cutoff=1,
        AllowUnassociatedTargets=True,
    )
    schedule = "mon-fri 07:30-18:30 Europe/London"
    session.client("rds", region_name=region).create_db_instance(
        DBInstanceIdentifier="dev-orders-db",
        DBInstanceClass="db.t3.medium",
        Engine="postgres",
        MasterUsername="offhours",
        MasterUserPassword="not-a-secret-1",
        AllocatedStorage=20,
        Tags=[{"Key": "schedule", "Value": schedule}, {"Key": "team", "Value": "data"}],
    )
    ec2 = session.client("ec2", region_name=region)
    boxes = [
        aws_fleet.Box(
            "patched-web",
            "t3.medium",
            {"schedule": "office-hours", "team": "web", "maintenance-window": "patch-sunday"},
        ),
        aws_fleet.Box(
            "dev-orders-app",
            "t3.large",
            {"schedule": schedule, "team": "data", "offhours-order": "1"},
        ),
    ]
    aws_fleet.seed(ec2, boxes, week_start - timedelta(days=3))
    return {"patched-web": "ec2", "dev-orders-db": "rds", "dev-orders-app": "ec2"}


def seed_databases(rds: Any) -> dict[str, str]:
    tags = [{"Key": "schedule", "Value": "office-hours"}, {"Key": "team", "Value": "data"}]
    rds.create_db_instance(
        DBInstanceIdentifier="dev-postgres",
        DBInstanceClass="db.t3.medium",
        Engine="postgres",
        MasterUsername="offhours",
        MasterUserPassword="not-a-secret-1",
        AllocatedStorage=20,
        Tags=tags,
    )
    rds.create_db_cluster(
        DBClusterIdentifier="analytics-aurora",
        Engine="aurora-postgresql",
        MasterUsername="offhours",
        MasterUserPassword="not-a-secret-1",
        Tags=tags,
    )
    # The cluster carries the schedule; its instance does not need to.
    rds.create_db_instance(
        DBInstanceIdentifier="analytics-aurora-1",
        DBInstanceClass="db.r6g.large",
        Engine="aurora-postgresql",
        DBClusterIdentifier="analytics-aurora",
    )
    return {"dev-postgres": "rds", "analytics-aurora": "aurora"}


def seed_group(ec2: Any, autoscaling: Any, region: str) -> dict[str, str]:
    ec2.create_launch_template(
        LaunchTemplateName="web-workers",
        LaunchTemplateData={"ImageId": AMI, "InstanceType": "t3.medium"},
    )
    tags = {"schedule": "office-hours", "team": "web"}
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="web-workers",
        LaunchTemplate={"LaunchTemplateName": "web-workers", "Version": "$Default"},
        MinSize=1,
        DesiredCapacity=2,
        MaxSize=4,
        AvailabilityZones=[f"{region}a"],
        Tags=[
            {
                "ResourceId": "web-workers",
                "ResourceType": "auto-scaling-group",
                "Key": key,
                "Value": value,
                "PropagateAtLaunch": True,
            }
            for key, value in tags.items()
        ],
    )
    return {"web-workers": "asg"}


def seed_service(ecs: Any) -> dict[str, str]:
    ecs.create_cluster(clusterName="dev")
    ecs.register_task_definition(
        family="api",
        containerDefinitions=[{"name": "api", "image": "public.ecr.aws/nginx/nginx:1"}],
        cpu="1024",
        memory="2048",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
    )
    ecs.create_service(
        cluster="dev",
        serviceName="api",
        taskDefinition="api",
        desiredCount=2,
        launchType="FARGATE",
        tags=[{"key": "schedule", "value": "office-hours"}, {"key": "team", "value": "web"}],
    )
    return {"api": "ecs"}


def seed_notebooks(sagemaker: Any, account: str) -> dict[str, str]:
    # moto's notebook instance types stop at ml.p3 / ml.p2 for GPUs (no ml.g4dn, ml.g5).
    notebooks = {
        "research-p3": ("ml.p3.2xlarge", "office-hours"),
        "workshop-p2": ("ml.p2.xlarge", "extended-hours"),
    }
    for name, (size, schedule) in notebooks.items():
        sagemaker.create_notebook_instance(
            NotebookInstanceName=name,
            InstanceType=size,
            RoleArn=ROLE.format(account=account),
            Tags=[{"Key": "schedule", "Value": schedule}, {"Key": "team", "Value": "ml"}],
        )
    return dict.fromkeys(notebooks, "sagemaker-notebooks")


def seed_endpoints(sagemaker: Any, account: str) -> dict[str, str]:
    sagemaker.create_model(
        ModelName="demo-model",
        ExecutionRoleArn=ROLE.format(account=account),
        PrimaryContainer={"Image": IMAGE},
    )
    for name in ("idle-endpoint", "busy-endpoint"):
        create_endpoint(
            sagemaker,
            name,
            "ml.g4dn.xlarge",
            {"idle-stop": "60m", "team": "ml"},
            model="demo-model",
        )
    return {"idle-endpoint": "sagemaker-endpoints", "busy-endpoint": "sagemaker-endpoints"}


def create_endpoint(
    sagemaker: Any,
    name: str,
    size: str,
    tags: Mapping[str, str],
    model: str = "demo-model",
    count: int = 1,
) -> None:
    sagemaker.create_endpoint_config(
        EndpointConfigName=f"{name}-config",
        ProductionVariants=[
            {
                "VariantName": "main",
                "ModelName": model,
                "InitialInstanceCount": count,
                "InstanceType": size,
                "InitialVariantWeight": 1.0,
            }
        ],
    )
    sagemaker.create_endpoint(
        EndpointName=name,
        EndpointConfigName=f"{name}-config",
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
    )


def put_invocations(
    cloudwatch: Any,
    endpoint: str,
    start: datetime,
    days: float,
    per_step: float,
    variant: str = "main",
) -> None:
    """``Invocations`` datapoints every 15 minutes (0 = an endpoint nobody calls)."""
    steps = int(timedelta(days=days) / METRIC_STEP)
    data = [
        {
            "MetricName": "Invocations",
            "Dimensions": [
                {"Name": "EndpointName", "Value": endpoint},
                {"Name": "VariantName", "Value": variant},
            ],
            "Timestamp": start + i * METRIC_STEP,
            "Value": float(per_step),
            "Unit": "None",
        }
        for i in range(steps)
    ]
    for i in range(0, len(data), 1000):
        cloudwatch.put_metric_data(Namespace="AWS/SageMaker", MetricData=data[i : i + 1000])


def backdate_sagemaker(at: datetime, account: str, region: str = DEMO_REGION) -> None:
    """Set creation and modification times of existing notebooks and endpoints."""
    from moto.sagemaker.models import sagemaker_backends

    backend = sagemaker_backends[account][region]
    naive = at.astimezone(UTC).replace(tzinfo=None)
    items: list[Any] = [*backend.notebook_instances.values(), *backend.endpoints.values()]
    for item in items:
        item.creation_time = item.last_modified_time = naive


@contextmanager
def sagemaker_follows(clock: Callable[[], datetime]) -> Iterator[None]:
    """While active, moto stamps new SageMaker objects with ``clock()`` (in-process only)."""
    from moto.sagemaker import models

    original = models.utcnow
    models.utcnow = lambda: clock().astimezone(UTC).replace(tzinfo=None)
    try:
        yield
    finally:
        models.utcnow = original


class _Clients:
    def __init__(self, source: Any, region: str) -> None:
        self.source = source
        self.region = region

    def get(self, service: str) -> Any:
        if isinstance(self.source, Mapping):
            if service in self.source:
                return self.source[service]
            import boto3

            return boto3.client(service, region_name=self.region)
        return self.source.client(service, region_name=self.region)
