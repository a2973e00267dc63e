"""Schedules by account: an AWS account tagged in Organizations (``TagResource`` /
``ListTagsForResource`` on the account id, AWS Organizations API reference; moto serves
both) schedules its untagged EC2 instances, through the real job over a simulated day.
An instance's own tag wins, ``schedule-override=opt-out`` opts out, and an account tagged
``environment=prod`` protects everything in it."""

from __future__ import annotations

from typing import Any

import pytest
from aws_kit import REGION, at, make_job, rows, run, settings_for

from providers.aws.connection import connect
from providers.base import ProviderConfig
from sandbox.aws_fleet import Box, instance_states, launch

ROLE = "offhours-member"


def _client_in(account: str, service: str = "ec2") -> Any:
    import boto3

    sts = boto3.client("sts", region_name=REGION)
    arn = f"arn:aws:iam::{account}:role/{ROLE}"
    creds = sts.assume_role(RoleArn=arn, RoleSessionName="seed")["Credentials"]
    return boto3.client(
        service,
        region_name=REGION,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


@pytest.fixture
def accounts(aws: None) -> dict[str, str]:
    """Three member accounts under one OU: ``web`` and ``prod`` tagged, ``plain`` not."""
    import boto3

    org = boto3.client("organizations", region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    unit = org.create_organizational_unit(ParentId=root, Name="dev")["OrganizationalUnit"]["Id"]
    tags = {
        "web": {"schedule": "office-hours", "team": "web"},
        "prod": {"schedule": "office-hours", "environment": "prod"},
        "plain": {},
    }
    found = {"unit": unit}
    for name, account_tags in tags.items():
        status = org.create_account(Email=f"{name}@example.com", AccountName=name)
        account = status["CreateAccountStatus"]["AccountId"]
        org.move_account(AccountId=account, SourceParentId=root, DestinationParentId=unit)
        if account_tags:
            org.tag_resource(
                ResourceId=account, Tags=[{"Key": k, "Value": v} for k, v in account_tags.items()]
            )
        found[name] = account
    return found


def test_a_tagged_account_schedules_its_untagged_instances_over_a_day(
    accounts: dict[str, str], tmp_path: Any, clock: Any, calls: Any
) -> None:
    web, prod, plain = accounts["web"], accounts["prod"], accounts["plain"]
    for box in (
        Box("dev", "t3.medium", {}),
        Box("late", "t3.medium", {"schedule": "extended-hours"}),
        Box("kept", "t3.medium", {"schedule-override": "opt-out"}),
        # Karpenter runs this node outside any Auto Scaling group: never stopped by offhours.
        Box("node", "t3.medium", {"karpenter.sh/nodepool": "default"}),
    ):
        launch(_client_in(web), box)
    launch(_client_in(prod), Box("api", "t3.medium", {}))
    _client_in(web, "rds").create_db_instance(
        DBInstanceIdentifier="db-1",
        DBInstanceClass="db.t3.medium",
        Engine="postgres",
        MasterUsername="admin",
        MasterUserPassword="not-a-secret-1",
        AllocatedStorage=20,
    )
    launch(_client_in(plain), Box("bastion", "t3.medium", {}))
    config = ProviderConfig(regions=(REGION,), organization=accounts["unit"], role_name=ROLE)
    settings = settings_for(tmp_path, ["ec2", "rds"])
    job = make_job(settings, clock, calls, connection=connect(config))

    reasons: dict[str, set[str]] = {}
    for day, hour in ((0, 5), (0, 9), (0, 19), (0, 21), (0, 22), (1, 7), (1, 9)):
        report = run(job, clock, at(day, hour))
        assert report.errors == []
        for decision in report.decisions:
            reasons.setdefault(decision.resource.name, set()).add(decision.reason)
        office, extended = 8 <= hour < 19, 7 <= hour < 22
        assert instance_states(_client_in(web)) == {
            "dev": "running" if office else "stopped",
            "late": "running" if extended else "stopped",
            "kept": "running",
            "node": "running",
        }, (day, hour)
        assert instance_states(_client_in(prod)) == {"api": "running"}
        [db] = _client_in(web, "rds").describe_db_instances()["DBInstances"]
        assert db["DBInstanceStatus"] == ("available" if office else "stopped"), (day, hour)
        assert instance_states(_client_in(plain)) == {"bastion": "running"}

    assert all(f"schedule from account {web}" in r for r in reasons["dev"] | reasons["db-1"])
    assert not any("from account" in r for r in reasons["late"])
    assert reasons["kept"] == {"opted out (schedule-override=opt-out)"}
    assert reasons["node"] == {
        "a Karpenter node (tag karpenter.sh/nodepool): schedule it where it is managed"
    }
    assert reasons["api"] == {f"protected: environment=prod (on account {prod})"}
    assert "bastion" not in reasons  # an untagged account is still filtered by tag
    dev = [r for r in rows(job, ResourceName="dev") if r["x_Outcome"] == "done"]
    # Off Monday 05:00-09:00 and Monday 19:00-Tuesday 09:00, as the runs saw it.
    assert sum(float(r["x_AvoidedHours"] or 0) for r in dev) == 4 + 14
    assert {r["Tags"]["team"] for r in dev} == {"web"}
