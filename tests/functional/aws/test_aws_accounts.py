"""Every account and region: member accounts listed from AWS Organizations (nested OUs
included), a member role assumed in each, and a target whose role cannot be assumed
reported in the run report while the others are scheduled."""

from __future__ import annotations

from typing import Any

import pytest
from aws_kit import REGION, at, make_job, rows, run, settings_for

from providers.aws.connection import connect
from providers.base import ProviderConfig
from sandbox.aws_fleet import Box, instance_states, launch

ROLE = "offhours-member"


def _session_in(account: str) -> Any:
    import boto3

    sts = boto3.client("sts", region_name=REGION)
    arn = f"arn:aws:iam::{account}:role/{ROLE}"
    creds = sts.assume_role(RoleArn=arn, RoleSessionName="seed")["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=REGION,
    )


def _deny_assume_role(account: str) -> Any:
    """A botocore hook answering AssumeRole into ``account`` with AccessDenied, as AWS does
    when the member role is missing or does not trust the scheduler."""
    from botocore.awsrequest import AWSResponse

    def before_call(params: dict[str, Any], **_: Any) -> Any:
        # ``params`` is the serialized request: the role is in its body.
        if f"::{account}:" not in str(params.get("body", {}).get("RoleArn", "")):
            return None
        error = {"Code": "AccessDenied", "Message": "not authorized to perform sts:AssumeRole"}
        return AWSResponse("https://sts.amazonaws.com/", 403, {}, None), {"Error": error}

    return before_call


@pytest.fixture
def organization(aws: None) -> dict[str, str]:
    import boto3

    org = boto3.client("organizations", region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    dev = org.create_organizational_unit(ParentId=root, Name="dev")["OrganizationalUnit"]["Id"]
    team = org.create_organizational_unit(ParentId=dev, Name="team")["OrganizationalUnit"]["Id"]
    accounts: dict[str, str] = {"dev": dev}
    for name, parent in (("web", dev), ("ml", team), ("broken", dev), ("prod", root)):
        status = org.create_account(Email=f"{name}@example.com", AccountName=name)
        account = status["CreateAccountStatus"]["AccountId"]
        if parent != root:
            org.move_account(AccountId=account, SourceParentId=root, DestinationParentId=parent)
        accounts[name] = account
    return accounts


def test_member_accounts_are_scheduled_and_a_broken_one_is_reported(
    organization: dict[str, str], tmp_path: Any, clock: Any, calls: Any
) -> None:
    import boto3

    web, ml, broken = organization["web"], organization["ml"], organization["broken"]
    for account in (web, ml, broken):
        launch(
            _session_in(account).client("ec2"),
            Box("dev", "t3.medium", {"schedule": "office-hours"}),
        )
    session = boto3.Session(region_name=REGION)
    session.events.register("before-call.sts.AssumeRole", _deny_assume_role(broken))
    config = ProviderConfig(regions=(REGION,), organization=organization["dev"], role_name=ROLE)
    connection = connect(config, session=session)
    settings = settings_for(tmp_path, ["ec2", "asg"])
    job = make_job(settings, clock, calls, connection=connection)

    report = run(job, clock, at(0, 19, 5))
    # The nested OU's account is included; the account outside the OU is not.
    assert sorted(t.target.account for t in report.targets) == sorted([web, ml, broken])
    broken_errors = [e for e in report.errors if e.startswith(f"aws:{broken}/")]
    assert broken_errors and all(
        f"cannot assume arn:aws:iam::{broken}:role/{ROLE}" in e for e in broken_errors
    )
    assert not [e for e in report.errors if not e.startswith(f"aws:{broken}/")]
    for account in (web, ml):
        assert instance_states(_session_in(account).client("ec2")) == {"dev": "stopped"}
        assert [r["x_Action"] for r in rows(job, SubAccountId=account)] == ["stop"]
    assert instance_states(_session_in(broken).client("ec2")) == {"dev": "running"}
    assert rows(job, SubAccountId=broken) == []
