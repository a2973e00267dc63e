"""What each AWS kind does when AWS refuses, the resource moved or vanished since
discovery, or the restore store fails: the outcome and the words the ledger gets, and
the resource's real state in moto afterwards. Errors that must come from AWS are
answered in botocore's own error path (``aws_kit.refuse``), not by a stand-in client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_kit import REGION, TARGET, at, refuse

from providers.aws.asg import AutoScalingGroups
from providers.aws.connection import AwsConnection, connect
from providers.aws.ecs import EcsServices
from providers.aws.rds import STOPPED_AT_TAG, AuroraClusters, RdsInstances
from providers.aws.sagemaker_notebooks import SageMakerNotebooks
from providers.base import Action, AdapterOptions, Decision, ProviderConfig, Resource
from providers.restore import RestoreStore
from providers.store import LocalStore, StoreUnavailable
from sandbox.aws_fleet import AMI

SCHEDULE = {"schedule": "office-hours"}


class FailingDeletes(LocalStore):
    """A state store whose deletes fail (the object stays)."""

    def delete(self, key: str) -> None:
        raise StoreUnavailable("503 Slow Down")


@pytest.fixture
def connection(aws: None, calls: Any) -> AwsConnection:
    return calls.attach(connect(ProviderConfig(regions=(REGION,))))


@pytest.fixture
def options(tmp_path: Path, clock: Any) -> AdapterOptions:
    return AdapterOptions(clock=clock, state=LocalStore(tmp_path / "state"))


def one(adapter: Any, name: str, action: Action) -> Any:
    (found,) = [r for r in adapter.discover(TARGET) if r.name == name]
    (result,) = adapter.apply([Decision(found, action, "test")], dry_run=False)
    return result


def client(connection: AwsConnection, service: str) -> Any:
    return connection.client(service, TARGET)


# -- RDS ---------------------------------------------------------------------------


def make_db(clients: Any, name: str, tags: dict[str, str]) -> None:
    clients.rds.create_db_instance(
        DBInstanceIdentifier=name,
        DBInstanceClass="db.t3.medium",
        Engine="postgres",
        MasterUsername="admin",
        MasterUserPassword="password123",
        AllocatedStorage=20,
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
    )


def db(clients: Any, name: str) -> tuple[str, dict[str, str]]:
    found = clients.rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]
    return found["DBInstanceStatus"], {t["Key"]: t["Value"] for t in found["TagList"]}


@pytest.fixture
def rds(connection: AwsConnection, options: AdapterOptions, calls: Any) -> Any:
    return calls.track(RdsInstances(connection, options))


def test_a_database_stopped_by_hand_since_discovery_is_skipped(
    clients: Any, rds: Any, connection: AwsConnection
) -> None:
    make_db(clients, "orders", SCHEDULE)
    (found,) = rds.discover(TARGET)
    clients.rds.stop_db_instance(DBInstanceIdentifier="orders")
    (result,) = rds.apply([Decision(found, Action.STOP, "off")], dry_run=False)
    assert (result.outcome.value, result.detail) == (
        "skipped",
        "already off: the database is stopped",
    )
    assert db(clients, "orders") == ("stopped", SCHEDULE)  # no stop time: offhours did not stop it


def test_a_refused_stop_is_failed_with_the_aws_error_and_the_database_runs(
    clients: Any, rds: Any, connection: AwsConnection
) -> None:
    make_db(clients, "orders", SCHEDULE)
    refuse(client(connection, "rds"), "StopDBInstance", "AccessDenied", "not authorized")
    result = one(rds, "orders", Action.STOP)
    assert (result.outcome.value, result.error) == ("failed", "AccessDenied: not authorized")
    assert db(clients, "orders")[0] == "available"


def test_a_stop_whose_stop_time_cannot_be_tagged_is_done_with_a_note(
    clients: Any, rds: Any, connection: AwsConnection, clock: Any
) -> None:
    make_db(clients, "orders", SCHEDULE)
    clock.now = at(0, 19, 5)
    refuse(client(connection, "rds"), "AddTagsToResource", "Throttling", "Rate exceeded")
    result = one(rds, "orders", Action.STOP)
    assert result.outcome.value == "done"
    assert result.detail == "stop time not recorded (Throttling: Rate exceeded)"
    assert db(clients, "orders") == ("stopped", SCHEDULE)


def test_a_start_whose_stop_time_tag_cannot_be_removed_is_done_with_a_note(
    clients: Any, rds: Any, connection: AwsConnection
) -> None:
    make_db(clients, "orders", {**SCHEDULE, STOPPED_AT_TAG: "2026-11-23T19:05:00Z"})
    clients.rds.stop_db_instance(DBInstanceIdentifier="orders")
    refuse(client(connection, "rds"), "RemoveTagsFromResource", "AccessDenied", "denied")
    result = one(rds, "orders", Action.START)
    assert result.outcome.value == "done"
    assert result.detail == f"{STOPPED_AT_TAG} tag not removed (AccessDenied: denied)"
    assert db(clients, "orders")[0] == "available"


def test_rds_inventory_lists_every_database_tagged_or_not(clients: Any, rds: Any) -> None:
    make_db(clients, "orders", SCHEDULE)
    make_db(clients, "reports", {"team": "bi"})
    found = {r.name: r for r in rds.inventory(TARGET)}
    assert sorted(found) == ["orders", "reports"]
    assert found["reports"].tags == {"team": "bi"}
    assert found["reports"].price is not None and found["reports"].size == "db.t3.medium"


def test_aurora_with_nothing_tagged_discovers_nothing_and_inventory_lists_clusters(
    clients: Any, connection: AwsConnection, options: AdapterOptions, calls: Any
) -> None:
    aurora = calls.track(AuroraClusters(connection, options))
    assert aurora.discover(TARGET) == []
    clients.rds.create_db_cluster(
        DBClusterIdentifier="analytics",
        Engine="aurora-postgresql",
        MasterUsername="admin",
        MasterUserPassword="password123",
    )
    (found,) = aurora.inventory(TARGET)
    assert (found.name, found.state.value, found.tags) == ("analytics", "running", {})
    assert found.size == "" and found.price is None  # no member instances: nothing to price


# -- Auto Scaling groups -------------------------------------------------------------


def make_group(
    clients: Any,
    name: str,
    tags: dict[str, str],
    size: tuple[int, int, int] = (1, 2, 4),
    **launch: Any,
) -> None:
    if not launch:
        if not clients.ec2.describe_launch_templates()["LaunchTemplates"]:
            clients.ec2.create_launch_template(
                LaunchTemplateName="workers-lt",
                LaunchTemplateData={"ImageId": AMI, "InstanceType": "t3.medium"},
            )
        launch = {"LaunchTemplate": {"LaunchTemplateName": "workers-lt", "Version": "$Latest"}}
    clients.autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=name,
        MinSize=size[0],
        DesiredCapacity=size[1],
        MaxSize=size[2],
        AvailabilityZones=["eu-west-1a"],
        Tags=[
            {"ResourceId": name, "ResourceType": "auto-scaling-group", "Key": k, "Value": v}
            for k, v in tags.items()
        ],
        **launch,
    )


def group(clients: Any, name: str) -> tuple[tuple[int, int, int], dict[str, str]]:
    found = clients.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])
    g = found["AutoScalingGroups"][0]
    return (g["MinSize"], g["DesiredCapacity"], g["MaxSize"]), {
        t["Key"]: t["Value"] for t in g["Tags"]
    }


def test_a_group_deleted_since_discovery_is_a_failed_scale_down(
    clients: Any, connection: AwsConnection, options: AdapterOptions, calls: Any
) -> None:
    asg = calls.track(AutoScalingGroups(connection, options))
    make_group(clients, "workers", SCHEDULE)
    (found,) = asg.discover(TARGET)
    clients.autoscaling.delete_auto_scaling_group(AutoScalingGroupName="workers", ForceDelete=True)
    (result,) = asg.apply([Decision(found, Action.SCALE_DOWN, "off")], dry_run=False)
    assert (result.outcome.value, result.error) == (
        "failed",
        "Auto Scaling group workers no longer exists",
    )
    assert options.state is not None and list(options.state.list("state/")) == []


def test_a_restore_whose_leftovers_cannot_be_removed_is_done_with_notes(
    clients: Any, connection: AwsConnection, tmp_path: Path, clock: Any, calls: Any
) -> None:
    options = AdapterOptions(clock=clock, state=FailingDeletes(tmp_path / "state"))
    asg = calls.track(AutoScalingGroups(connection, options))
    make_group(clients, "old", SCHEDULE, size=(0, 0, 4))
    (found,) = asg.discover(TARGET)
    RestoreStore(options.state).save(found, {"min": 1, "desired": 2, "max": 4}, clock())
    result = one(asg, "old", Action.SCALE_UP)
    assert result.outcome.value == "done"
    assert result.detail == "capacity 0 -> 2; saved capacity not removed (503 Slow Down)"
    # Restored all the same; the leftover is harmless: the group runs its size.
    assert group(clients, "old")[0] == (1, 2, 4)


def test_group_instance_types_from_configurations_mixed_policies_and_missing_templates(
    clients: Any, connection: AwsConnection, options: AdapterOptions, calls: Any
) -> None:
    asg = calls.track(AutoScalingGroups(connection, options))
    clients.autoscaling.create_launch_configuration(
        LaunchConfigurationName="legacy-lc", ImageId=AMI, InstanceType="m5.large"
    )
    make_group(clients, "legacy", SCHEDULE, LaunchConfigurationName="legacy-lc")
    clients.ec2.create_launch_template(
        LaunchTemplateName="gpu-lt", LaunchTemplateData={"ImageId": AMI, "InstanceType": "t3.small"}
    )
    mixed = {
        "LaunchTemplate": {
            "LaunchTemplateSpecification": {"LaunchTemplateName": "gpu-lt", "Version": "$Latest"},
            "Overrides": [{"InstanceType": "g4dn.xlarge"}],
        }
    }
    make_group(clients, "gpu", SCHEDULE, MixedInstancesPolicy=mixed)
    spec_only = {
        "LaunchTemplate": {
            "LaunchTemplateSpecification": {"LaunchTemplateName": "gpu-lt", "Version": "$Latest"}
        }
    }
    make_group(clients, "spec", SCHEDULE, MixedInstancesPolicy=spec_only)
    make_group(
        clients, "orphan", SCHEDULE, LaunchTemplate={"LaunchTemplateName": "gpu-lt", "Version": "1"}
    )
    template_id = clients.ec2.describe_launch_templates(LaunchTemplateNames=["gpu-lt"])[
        "LaunchTemplates"
    ][0]["LaunchTemplateId"]
    clients.ec2.delete_launch_template(LaunchTemplateId=template_id)

    found = {r.name: r for r in asg.discover(TARGET)}
    assert found["legacy"].size == "2 x m5.large" and found["legacy"].price is not None
    assert found["gpu"].size == "2 x g4dn.xlarge" and found["gpu"].accelerator
    # The template is gone: its instance type, and so the price, are unknown.
    assert found["spec"].size == "2 x unknown type" and found["spec"].price is None
    assert found["orphan"].size == "2 x unknown type" and found["orphan"].price is None


def test_a_group_at_zero_with_an_unreadable_saved_capacity_is_priced_at_zero(
    clients: Any, connection: AwsConnection, options: AdapterOptions, calls: Any
) -> None:
    asg = calls.track(AutoScalingGroups(connection, options))
    make_group(clients, "parked", SCHEDULE)
    clients.autoscaling.update_auto_scaling_group(
        AutoScalingGroupName="parked", MinSize=0, DesiredCapacity=0
    )
    (probe,) = asg.discover(TARGET)
    assert options.state is not None
    options.state.put(asg.restore.key(probe), b"{not json")
    (found,) = asg.discover(TARGET)
    assert (found.state.value, found.size) == ("scaled-down", "0 x t3.medium")
    (result,) = asg.apply([Decision(found, Action.SCALE_UP, "on")], dry_run=False)
    assert result.outcome.value == "failed" and result.error.startswith("no saved size to restore")
    assert group(clients, "parked")[0] == (0, 0, 4)


# -- ECS -------------------------------------------------------------------------------


def make_service(
    clients: Any, name: str, desired: int, tags: dict[str, str], **definition: Any
) -> None:
    clients.ecs.create_cluster(clusterName="dev")
    family = definition.pop("family", "api")
    clients.ecs.register_task_definition(
        family=family,
        containerDefinitions=[{"name": "api", "image": "nginx"}],
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        **({"cpu": "512", "memory": "1024"} | definition),
    )
    clients.ecs.create_service(
        cluster="dev",
        serviceName=name,
        taskDefinition=family,
        desiredCount=desired,
        launchType="FARGATE",
        tags=[{"key": k, "value": v} for k, v in tags.items()],
    )


def desired(clients: Any, name: str) -> tuple[int, dict[str, str]]:
    found = clients.ecs.describe_services(cluster="dev", services=[name], include=["TAGS"])
    s = found["services"][0]
    return s["desiredCount"], {t["key"]: t["value"] for t in s.get("tags", [])}


def test_a_service_restore_whose_leftovers_cannot_be_removed_is_done_with_notes(
    clients: Any, connection: AwsConnection, tmp_path: Path, clock: Any, calls: Any
) -> None:
    options = AdapterOptions(clock=clock, state=FailingDeletes(tmp_path / "state"))
    ecs = calls.track(EcsServices(connection, options))
    make_service(clients, "api", 0, SCHEDULE)
    (found,) = ecs.discover(TARGET)
    RestoreStore(options.state).save(found, {"desired": 3}, clock())
    (found,) = ecs.discover(TARGET)
    assert (found.state.value, found.size) == ("scaled-down", "3 x 512 CPU units/1024 MiB")
    (result,) = ecs.apply([Decision(found, Action.SCALE_UP, "on")], dry_run=False)
    assert result.outcome.value == "done"
    assert result.detail == "desired count 0 -> 3; saved count not removed (503 Slow Down)"
    assert desired(clients, "api")[0] == 3


def test_a_service_scaled_down_by_hand_since_discovery_is_skipped(
    clients: Any, connection: AwsConnection, options: AdapterOptions, calls: Any
) -> None:
    ecs = calls.track(EcsServices(connection, options))
    make_service(clients, "api", 2, SCHEDULE)
    (found,) = ecs.discover(TARGET)
    clients.ecs.update_service(cluster="dev", service="api", desiredCount=0)
    (result,) = ecs.apply([Decision(found, Action.SCALE_DOWN, "off")], dry_run=False)
    assert (result.outcome.value, result.detail) == ("skipped", "already off: desired count is 0")
    assert options.state is not None and list(options.state.list("state/")) == []


def test_a_service_at_zero_with_an_unreadable_saved_count_is_priced_at_zero(
    clients: Any, connection: AwsConnection, options: AdapterOptions, calls: Any
) -> None:
    ecs = calls.track(EcsServices(connection, options))
    make_service(clients, "api", 0, SCHEDULE)
    (probe,) = ecs.discover(TARGET)
    assert options.state is not None
    options.state.put(ecs.restore.key(probe), b'{"version": 7}')
    (found,) = ecs.discover(TARGET)
    assert (found.state.value, found.size) == ("scaled-down", "0 x 512 CPU units/1024 MiB")


def test_tasks_that_are_not_plain_fargate_linux_have_no_price(
    clients: Any, connection: AwsConnection, options: AdapterOptions, calls: Any
) -> None:
    ecs = calls.track(EcsServices(connection, options))
    make_service(
        clients,
        "windows",
        1,
        SCHEDULE,
        family="win",
        runtimePlatform={"operatingSystemFamily": "WINDOWS_SERVER_2022_CORE"},
    )
    make_service(
        clients, "arm", 1, SCHEDULE, family="arm", runtimePlatform={"cpuArchitecture": "ARM64"}
    )
    make_service(clients, "api", 1, SCHEDULE)
    found = {r.name: r for r in ecs.discover(TARGET)}
    assert found["windows"].price is None
    assert found["arm"].price is not None and found["api"].price is not None
    # Graviton tasks cost less than x86 ones of the same size.
    assert found["arm"].price.hourly < found["api"].price.hourly
    inventory = {r.name for r in ecs.inventory(TARGET)}
    assert inventory == {"windows", "arm", "api"}


# -- SageMaker notebooks ---------------------------------------------------------------


def test_a_notebook_stopped_by_hand_since_discovery_is_skipped_and_inventory_lists_all(
    clients: Any, connection: AwsConnection, options: AdapterOptions, calls: Any
) -> None:
    notebooks = calls.track(SageMakerNotebooks(connection, options))
    for name, tags in (("lab", SCHEDULE), ("scratch", {"team": "ml"})):
        clients.sagemaker.create_notebook_instance(
            NotebookInstanceName=name,
            InstanceType="ml.p3.2xlarge",
            RoleArn="arn:aws:iam::123456789012:role/sm",
            Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
        )
    (found,) = notebooks.discover(TARGET)
    clients.sagemaker.stop_notebook_instance(NotebookInstanceName="lab")
    (result,) = notebooks.apply([Decision(found, Action.STOP, "off")], dry_run=False)
    assert (result.outcome.value, result.detail) == (
        "skipped",
        "already off: the notebook is stopped",
    )
    every = {r.name: r for r in notebooks.inventory(TARGET)}
    assert sorted(every) == ["lab", "scratch"]
    assert every["scratch"].accelerator and every["lab"].state.value == "stopped"


def test_a_notebook_deleted_since_discovery_is_a_failed_stop(
    clients: Any, connection: AwsConnection, options: AdapterOptions, calls: Any
) -> None:
    notebooks = calls.track(SageMakerNotebooks(connection, options))
    clients.sagemaker.create_notebook_instance(
        NotebookInstanceName="lab",
        InstanceType="ml.t3.medium",
        RoleArn="arn:aws:iam::123456789012:role/sm",
        Tags=[{"Key": "schedule", "Value": "office-hours"}],
    )
    (found,) = notebooks.discover(TARGET)
    clients.sagemaker.stop_notebook_instance(NotebookInstanceName="lab")
    clients.sagemaker.delete_notebook_instance(NotebookInstanceName="lab")
    (result,) = notebooks.apply([Decision(found, Action.STOP, "off")], dry_run=False)
    assert result.outcome.value == "failed"
    assert result.error.startswith("ValidationException")


def test_an_action_a_kind_cannot_take_is_failed_by_name(
    connection: AwsConnection, options: AdapterOptions, calls: Any
) -> None:
    rds = calls.track(RdsInstances(connection, options))
    from providers.base import ResourceState

    resource = Resource("aws", TARGET.account, REGION, "rds", "db", "db", {}, ResourceState.RUNNING)
    (result,) = rds.apply([Decision(resource, Action.SCALE_DOWN, "off")], dry_run=False)
    assert (result.outcome.value, result.error) == ("failed", "rds cannot scale-down")
