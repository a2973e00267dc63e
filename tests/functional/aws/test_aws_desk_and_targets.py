"""The snooze desk when AWS refuses or the resource is not there, the targets a run covers
(every enabled region, the whole organization), and clients from a botocore without the
internals the fast path uses. All on moto."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from aws_kit import ACCOUNT, REGION, refuse

from providers.aws.connection import connect
from providers.aws.override_tag import AwsOverrideDesk
from providers.aws.targets import list_targets
from providers.base import ProviderConfig, Resource, ResourceState
from providers.override_desk import CannotSnooze, DeskError, ResourceNotFound
from sandbox.aws_fleet import AMI


@pytest.fixture
def made(aws: None) -> dict[str, Any]:
    return {}


@pytest.fixture
def desk(made: dict[str, Any]) -> AwsOverrideDesk:
    def client(service: str, region: str) -> Any:
        if (service, region) not in made:
            made[service, region] = boto3.client(service, region_name=region)
        return made[service, region]

    return AwsOverrideDesk(client, ACCOUNT)


def test_what_the_desk_cannot_find_is_not_found(desk: AwsOverrideDesk) -> None:
    for kind, resource_id in (
        ("ec2", "i-0123456789abcdef0"),
        ("asg", "nobody"),
        ("rds", "nothing"),
    ):
        with pytest.raises(ResourceNotFound, match=f"no .*{resource_id!r} in {REGION}"):
            desk.read(ACCOUNT, REGION, kind, resource_id)
    with pytest.raises(CannotSnooze, match="cannot keep a 'lambda' resource running"):
        desk.read(ACCOUNT, REGION, "lambda", "fn")
    with pytest.raises(CannotSnooze, match=f"serves account {ACCOUNT}, not 999999999999"):
        desk.read("999999999999", REGION, "ec2", "i-0123456789abcdef0")


def test_a_refusal_is_a_desk_error_with_the_aws_code(
    desk: AwsOverrideDesk, made: dict[str, Any]
) -> None:
    ec2 = desk.client("ec2", REGION)
    (instance,) = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1)["Instances"]
    refuse(ec2, "DescribeInstances", "UnauthorizedOperation", "not yours")
    with pytest.raises(DeskError, match=r"^UnauthorizedOperation: .*not yours"):
        desk.read(ACCOUNT, REGION, "ec2", instance["InstanceId"])
    box = desk.read(ACCOUNT, REGION, "ec2", instance["InstanceId"])
    assert (box.state.value, box.size) == ("running", "m1.small")

    tagging = desk.client("resourcegroupstaggingapi", REGION)
    refuse(tagging, "TagResources", "ThrottlingException", "Rate exceeded")
    with pytest.raises(DeskError, match="Rate exceeded"):
        desk.write_override(box, "offhours-override", "until-2026-12-02t1900z")
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [box.id]}])["Tags"]
    assert tags == []  # nothing was changed


def test_a_tag_write_aws_reports_as_failed_for_the_resource_is_a_desk_error(
    desk: AwsOverrideDesk,
) -> None:
    gone = Resource("aws", ACCOUNT, REGION, "rds", "deleted-db", "x", {}, ResourceState.RUNNING)
    with pytest.raises(DeskError):
        desk.write_override(gone, "offhours-override", "until-2026-12-02t1900z")


def test_a_group_is_read_and_tagged_through_autoscaling(desk: AwsOverrideDesk) -> None:
    ec2 = desk.client("ec2", REGION)
    ec2.create_launch_template(
        LaunchTemplateName="parked-lt",
        LaunchTemplateData={"ImageId": AMI, "InstanceType": "t3.small"},
    )
    autoscaling = desk.client("autoscaling", REGION)
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="parked",
        LaunchTemplate={"LaunchTemplateName": "parked-lt"},
        MinSize=0,
        DesiredCapacity=0,
        MaxSize=2,
        AvailabilityZones=["eu-west-1a"],
    )
    group = desk.read(ACCOUNT, REGION, "asg", "parked")
    assert (group.state.value, group.size, group.price) == ("scaled-down", "0", None)
    refuse(autoscaling, "CreateOrUpdateTags", "AccessDenied", "only the override tag")
    with pytest.raises(DeskError, match="only the override tag"):
        desk.write_override(group, "offhours-override", "until-2026-12-02t1900z")


def test_targets_cover_every_enabled_region_of_every_active_account(
    aws: None, clients: Any
) -> None:
    connection = connect(ProviderConfig())
    targets = list_targets(connection)
    regions = {t.region for t in targets}
    assert {t.account for t in targets} == {ACCOUNT}  # no organization: the caller's own
    assert {"eu-west-1", "us-east-1"} <= regions and len(regions) == len(targets)

    org = clients.organizations
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(Email="dev@example.com", AccountName="dev")
    member_id = member["CreateAccountStatus"]["AccountId"]
    connection = connect(ProviderConfig(regions=(REGION,), organization="all"))
    assert sorted(t.account for t in list_targets(connection)) == sorted([ACCOUNT, member_id])


def test_clients_come_from_the_session_when_botocore_lacks_the_fast_paths_internals(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from providers.aws import clients

    connection = connect(ProviderConfig(regions=(REGION,)))
    monkeypatch.setattr(clients, "_INTERNALS", ("_an_internal_this_botocore_lacks",))
    ec2 = connection.client("ec2", connection.targets()[0])
    assert ec2.describe_instances()["Reservations"] == []
    assert ec2.meta.region_name == REGION
