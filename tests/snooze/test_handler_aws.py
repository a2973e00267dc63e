"""The snooze handler on AWS (moto in-process): what a confirm changes, and every refusal
changes nothing (the tag and the ledger are read back)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from snooze_kit import (
    ACCOUNT,
    KEY,
    OVERRIDE,
    REGION,
    launch_box,
    links_for,
    query_of,
    resource,
    tags_of,
)

import schedules
from functions.jobs.snooze.handler import Request, SnoozeService, handle
from ledger.book import read_records
from ledger.summary import window_summary
from providers.aws.override_tag import AwsOverrideDesk
from providers.store import LocalStore

STOP = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)


class Clock:
    def __init__(self, at: datetime) -> None:
        self.now = at

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def fleet() -> Iterator[dict[str, str]]:
    from moto import mock_aws

    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        yield {
            "box": launch_box(
                ec2, "dev-alice", {"schedule": "office-hours", "owner": "alice@example.com"}
            ),
            "prod": launch_box(
                ec2, "prod-api", {"schedule": "office-hours", "environment": "Prod"}
            ),
            "other": launch_box(ec2, "dev-bob", {"schedule": "office-hours"}),
        }


@pytest.fixture
def world(fleet: dict[str, str], tmp_path: Path) -> Iterator[dict[str, Any]]:
    ec2 = boto3.client("ec2", region_name=REGION)
    clock = Clock(STOP - timedelta(minutes=15))
    store = LocalStore(tmp_path / "ledger")
    desk = AwsOverrideDesk(
        lambda service, region: boto3.client(service, region_name=region), ACCOUNT
    )
    catalog = schedules.load_catalog(default_tz="Europe/London")
    yield {
        "ec2": ec2,
        "clock": clock,
        "store": store,
        **fleet,
        "service": SnoozeService(KEY, store, desk, clock, catalog),
    }
    ec2.delete_tags(Resources=list(fleet.values()), Tags=[{"Key": OVERRIDE}])


def call(world: dict[str, Any], method: str, url: str, **query: str) -> Any:
    return handle(Request(method, {**query_of(url), **query}), world["service"])


def rows(world: dict[str, Any]) -> list[dict[str, Any]]:
    return list(read_records(world["store"]))


def test_get_confirms_nothing_and_post_keeps_it_running(world: dict[str, Any]) -> None:
    url = links_for(resource("ec2", world["box"], tags={"owner": "alice@example.com"}), STOP)[
        "keep-2h"
    ]

    page = call(world, "GET", url)
    assert page.status == 200 and "<form method='post'>" in page.html()
    assert "dev-alice" in page.html() and "2026-11-23 21:00 UTC" in page.html()
    assert OVERRIDE not in tags_of(world["ec2"], world["box"])
    assert rows(world) == []

    page = call(world, "POST", url)
    assert page.status == 200, page.html()
    assert tags_of(world["ec2"], world["box"])[OVERRIDE] == "running-until-20261123t2100z"
    [row] = rows(world)
    assert row["x_Action"] == "snooze" and row["x_Outcome"] == "done"
    assert (row["ChargePeriodStart"], row["ChargePeriodEnd"]) == (
        "2026-11-23T19:00:00Z",
        "2026-11-23T21:00:00Z",
    )
    assert row["x_Reason"] == "kept running by request"
    assert row["x_Detail"] == "requested by alice@example.com"
    assert row["ResourceId"] == world["box"] and row["x_Kind"] == "ec2"
    assert row["ListUnitPrice"] > 0 and row["x_ResourceSize"] == "t3.medium"
    assert row["x_KeptRunningCost"] == pytest.approx(2 * row["ListUnitPrice"])
    assert row["x_KeptRunningHours"] == pytest.approx(2.0)
    assert row["x_EstimatedSavings"] == 0 and row["x_AvoidedHours"] == 0  # a cost, never saved
    # A cost, never a saving: the savings summary books nothing for it.
    saved = window_summary(world["store"], STOP - timedelta(days=1), STOP + timedelta(days=1))
    assert sum(s.saved for s in saved) == 0
    assert sum(s.hours_off for s in saved) == 0


def test_a_second_confirm_of_the_same_link_is_refused(world: dict[str, Any]) -> None:
    links = links_for(resource("ec2", world["box"]), STOP)
    assert call(world, "POST", links["keep-1h"]).status == 200
    first = tags_of(world["ec2"], world["box"])[OVERRIDE]
    world["clock"].now += timedelta(minutes=5)
    for method in ("POST", "GET"):
        page = call(world, method, links["keep-1h"])
        assert page.status == 409 and "already used" in page.html()
    assert tags_of(world["ec2"], world["box"])[OVERRIDE] == first
    assert len(rows(world)) == 1
    # Another link of the same notice is its own token and still works.
    assert call(world, "POST", links["keep-2h"]).status == 200
    assert tags_of(world["ec2"], world["box"])[OVERRIDE] == "running-until-20261123t2100z"


def assert_unchanged(world: dict[str, Any]) -> None:
    for box in (world["box"], world["prod"], world["other"]):
        assert OVERRIDE not in tags_of(world["ec2"], box)
    assert rows(world) == []
    assert list(world["store"].list("snooze/")) == []


def test_an_expired_link_is_refused(world: dict[str, Any]) -> None:
    url = links_for(resource("ec2", world["box"]), STOP)["keep-1h"]
    world["clock"].now = STOP + timedelta(hours=12)
    for method in ("GET", "POST"):
        page = call(world, method, url)
        assert page.status == 410 and "expired" in page.html()
    assert_unchanged(world)


def test_a_tampered_link_is_refused(world: dict[str, Any]) -> None:
    url = links_for(resource("ec2", world["box"]), STOP)["keep-1h"]
    token = query_of(url)["t"]
    payload, signature = token.split(".")
    flipped = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    for bad in (f"{flipped}.{signature}", f"{payload}.{signature[::-1]}", "garbage"):
        page = call(world, "POST", url, t=bad)
        assert page.status in (400, 403), bad
    assert call(world, "POST", url, t="").status == 400
    assert_unchanged(world)


def test_a_token_for_another_resource_than_the_urls_is_refused(world: dict[str, Any]) -> None:
    mine = links_for(resource("ec2", world["box"]), STOP)["keep-1h"]
    theirs = links_for(resource("ec2", world["other"]), STOP)["keep-1h"]
    page = call(world, "POST", mine, t=query_of(theirs)["t"])
    assert page.status == 400 and "another resource" in page.html()
    assert_unchanged(world)


def test_a_protected_resource_is_refused(world: dict[str, Any]) -> None:
    url = links_for(resource("ec2", world["prod"]), STOP)["keep-1h"]
    for method in ("GET", "POST"):
        page = call(world, method, url)
        assert page.status == 403 and "environment=Prod" in page.html()
    assert_unchanged(world)


def test_only_get_and_post_are_served(world: dict[str, Any]) -> None:
    url = links_for(resource("ec2", world["box"]), STOP)["keep-1h"]
    for method in ("PUT", "DELETE", "HEAD"):
        page = call(world, method, url)
        assert page.status == 405 and page.headers["Allow"] == "GET, POST"
    assert_unchanged(world)


def test_unknown_kinds_missing_resources_and_other_accounts_are_refused(
    world: dict[str, Any],
) -> None:
    cases = [
        (resource("lambda", "fn-1"), 422),
        (resource("ec2", "i-0123456789abcdef0"), 404),
        (resource("ec2", world["box"], account="210987654321"), 422),
        (resource("ec2", world["box"], provider="gcp"), 400),
    ]
    for res, status in cases:
        page = call(world, "POST", links_for(res, STOP)["keep-1h"])
        assert page.status == status, (res, page.html())
    assert_unchanged(world)


def test_groups_and_arn_kinds_take_the_tag_through_their_own_calls(
    world: dict[str, Any],
) -> None:
    asg = boto3.client("autoscaling", region_name=REGION)
    asg.create_launch_configuration(
        LaunchConfigurationName="lc", ImageId="ami-12c6146b", InstanceType="t3.micro"
    )
    asg.create_auto_scaling_group(
        AutoScalingGroupName="web-asg",
        LaunchConfigurationName="lc",
        MinSize=0,
        MaxSize=2,
        DesiredCapacity=1,
        AvailabilityZones=[f"{REGION}a"],
        Tags=[
            {
                "Key": "schedule",
                "Value": "office-hours",
                "PropagateAtLaunch": False,
                "ResourceId": "web-asg",
                "ResourceType": "auto-scaling-group",
            }
        ],
    )
    rds = boto3.client("rds", region_name=REGION)
    rds.create_db_instance(
        DBInstanceIdentifier="dev-db",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="u",
        MasterUserPassword="password123",
        AllocatedStorage=20,
        Tags=[{"Key": "schedule", "Value": "office-hours"}, {"Key": "hourly-cost", "Value": "0.5"}],
    )
    for res in (resource("asg", "web-asg"), resource("rds", "dev-db")):
        assert call(world, "POST", links_for(res, STOP)["keep-1h"]).status == 200
    group = asg.describe_auto_scaling_groups(AutoScalingGroupNames=["web-asg"])[
        "AutoScalingGroups"
    ][0]
    assert {t["Key"]: t["Value"] for t in group["Tags"]}[OVERRIDE] == "running-until-20261123t2000z"
    arn = rds.describe_db_instances(DBInstanceIdentifier="dev-db")["DBInstances"][0][
        "DBInstanceArn"
    ]
    db_tags = {
        t["Key"]: t["Value"] for t in rds.list_tags_for_resource(ResourceName=arn)["TagList"]
    }
    assert db_tags[OVERRIDE] == "running-until-20261123t2000z"
    prices = {r["x_ApiResourceId"]: r["ListUnitPrice"] for r in rows(world)}
    assert prices == {"web-asg": None, "dev-db": 0.5}


# -- a snooze never overrides what a person decided (issue 22) ---------------------------
def _tag(world: dict[str, Any], value: str) -> None:
    world["ec2"].create_tags(Resources=[world["box"]], Tags=[{"Key": OVERRIDE, "Value": value}])


def test_an_opted_out_resource_is_refused_with_how_to_opt_back_in(world: dict[str, Any]) -> None:
    """Before: the snooze replaced ``opt-out`` with ``running-until-…``, and when that
    ended the scheduler stopped a box its owner had opted out."""
    _tag(world, "opt-out")
    url = links_for(resource("ec2", world["box"]), STOP)["skip-tonight"]
    for method in ("GET", "POST"):
        page = call(world, method, url)
        assert page.status == 409 and "opted out" in page.html()
        assert "remove the schedule-override tag" in page.html()
    assert tags_of(world["ec2"], world["box"])[OVERRIDE] == "opt-out"
    assert rows(world) == [] and list(world["store"].list("snooze/")) == []


def test_a_longer_keep_already_in_place_is_never_shortened(world: dict[str, Any]) -> None:
    """Before: an administrator's 6-day ``running-until`` became one hour after the stop."""
    six_days = "running-until-20261129t1900z"
    _tag(world, six_days)
    url = links_for(resource("ec2", world["box"]), STOP)["keep-1h"]
    for method in ("GET", "POST"):
        page = call(world, method, url)
        assert page.status == 200 and "Already kept running" in page.html()
        assert "2026-11-29 19:00 UTC" in page.html()
    assert tags_of(world["ec2"], world["box"])[OVERRIDE] == six_days
    assert rows(world) == []


def test_of_several_links_of_one_notice_the_longest_keep_stands(world: dict[str, Any]) -> None:
    """Before: "skip tonight" then "keep 1 h" of the same notice shortened 08:00 to 20:00.
    The other order extends, and books only the time the first keep did not cover."""
    links = links_for(resource("ec2", world["box"]), STOP)
    assert call(world, "POST", links["skip-tonight"]).status == 200
    tonight = tags_of(world["ec2"], world["box"])[OVERRIDE]
    assert tonight == "running-until-20261124t0800z"  # office-hours (Europe/London)
    page = call(world, "POST", links["keep-1h"])
    assert page.status == 200 and "Already kept running" in page.html()
    assert tags_of(world["ec2"], world["box"])[OVERRIDE] == tonight
    assert len(rows(world)) == 1


def test_a_keep_extended_by_a_longer_link_books_only_the_extra_time(
    world: dict[str, Any],
) -> None:
    links = links_for(resource("ec2", world["box"]), STOP)
    assert call(world, "POST", links["keep-1h"]).status == 200
    assert call(world, "POST", links["keep-2h"]).status == 200
    assert tags_of(world["ec2"], world["box"])[OVERRIDE] == "running-until-20261123t2100z"
    periods = sorted((r["ChargePeriodStart"], r["ChargePeriodEnd"]) for r in rows(world))
    assert periods == [
        ("2026-11-23T19:00:00Z", "2026-11-23T20:00:00Z"),
        ("2026-11-23T20:00:00Z", "2026-11-23T21:00:00Z"),
    ]
