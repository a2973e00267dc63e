"""The daily inventory is its own job: ``offhours inventory`` (and the Lambda's
``{"action": "inventory"}``) writes the snapshots the digest's opportunities come from;
a scheduling run lists only what carries the schedule tag and writes no snapshot.

What the run asks AWS is recorded with a botocore hook on the connection's session
(every client copies the session's hooks), against moto with every AWS kind built.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from functions.cli.main import main
from ledger.inventory import find_opportunities, read_inventory
from providers.store import LocalStore
from sandbox.aws_fleet import Box, instance_states, launch

EVENING = "2026-11-23T20:00:00+00:00"  # a Monday, after office hours
REGION = "eu-west-1"


@dataclass(frozen=True)
class Call:
    operation: str
    params: dict[str, Any]


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Call]]:
    """Every AWS call the CLI's connections make, with the parameters it built."""
    from providers.aws import connection

    made: list[Call] = []
    new_session = connection._new_session

    def recorded() -> Any:
        session = new_session()

        def record(params: dict[str, Any], model: Any, **_: Any) -> None:
            made.append(Call(model.name, dict(params)))

        session.events.register("before-parameter-build", record)
        return session

    monkeypatch.setattr(connection, "_new_session", recorded)
    yield made


@pytest.fixture
def fleet(ec2: Any) -> Any:
    import boto3

    launch(ec2, Box("dev", "t3.medium", {"schedule": "office-hours"}))
    launch(ec2, Box("dev-forgotten", "m5.large", {"team": "web"}))
    launch(ec2, Box("prod-api", "m5.large", {"environment": "prod"}))
    boto3.client("rds", region_name=REGION).create_db_instance(
        DBInstanceIdentifier="scratch-db",
        DBInstanceClass="db.t3.medium",
        Engine="postgres",
        MasterUsername="offhours",
        MasterUserPassword="not-a-secret-1",
        AllocatedStorage=20,
    )
    return ec2


def cli(ledger: Path, *args: str) -> int:
    return main([*args, "--region", REGION, "--ledger", str(ledger), "--at", EVENING])


def _filter_names(params: dict[str, Any]) -> set[str]:
    return {f["Name"] for f in params.get("Filters", [])}


def lists_untagged(call: Call) -> bool:
    """Whether a call lists resources whatever their tags. ECS is left out: its API has
    no tag filter, so its discovery lists the services and keeps the tagged ones."""
    names = _filter_names(call.params)
    match call.operation:
        case "DescribeInstances":
            return not any(n == "tag-key" or n.startswith("tag:") for n in names)
        case "DescribeDBInstances" | "DescribeDBClusters":
            return not names  # discovery asks for the ids the tag listing named
        case "DescribeAutoScalingGroups":
            return not ("tag-key" in names or call.params.get("AutoScalingGroupNames"))
        case "ListNotebookInstances":
            return True  # no notebook carries the tag
    return False


def untagged_listings(calls: list[Call]) -> list[Call]:
    return [c for c in calls if lists_untagged(c)]


def test_a_run_lists_only_what_is_scheduled_and_writes_no_inventory(
    fleet: Any, tmp_path: Path, calls: list[Call], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(tmp_path, "run") == 0
    assert "1 stop done" in capsys.readouterr().out
    assert instance_states(fleet)["dev"] == "stopped"
    operations = {c.operation for c in calls}
    assert {"DescribeInstances", "GetResources", "DescribeAutoScalingGroups"} <= operations
    assert untagged_listings(calls) == []
    assert list(read_inventory(LocalStore(tmp_path))) == []
    assert not (tmp_path / "inventory").exists()


def test_inventory_writes_the_snapshot_with_the_untagged_resources(
    fleet: Any, tmp_path: Path, calls: list[Call], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(tmp_path, "inventory", "--output", "json") == 0
    out = json.loads(capsys.readouterr().out)
    assert out["schema"] == "offhours.inventory/v1" and out["errors"] == []
    (target,) = out["targets"]
    assert target["snapshot"] == "inventory/v1/aws/123456789012/eu-west-1.json"
    assert (target["resources"], target["untagged"]) == (4, 3)
    (snapshot,) = read_inventory(LocalStore(tmp_path))
    listed = {r.name: r for r in snapshot.resources}
    assert set(listed) == {"dev", "dev-forgotten", "prod-api", "scratch-db"}
    assert listed["scratch-db"].kind == "rds" and listed["dev-forgotten"].kind == "ec2"
    # What the digest makes of it: the forgotten dev box, never the protected one.
    opportunities = find_opportunities(snapshot.resources, running_hours_per_week=55)
    assert "dev-forgotten" in {o.resource.name for o in opportunities}
    assert "prod-api" not in {o.resource.name for o in opportunities}
    # The inventory changes no resource and books nothing.
    assert set(instance_states(fleet).values()) == {"running"}
    assert not (tmp_path / "ledger").exists() and not (tmp_path / "state").exists()
    assert untagged_listings(calls)  # it is the job that lists them


def test_inventory_table_and_dry_run(
    fleet: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(tmp_path, "inventory", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "dev-forgotten" in out and "scratch-db" in out
    assert "inventory: 4 resources in 1 targets, 3 without a 'schedule' tag (dry run" in out
    assert list(tmp_path.iterdir()) == []


def test_inventory_lists_stopped_resources_too(
    fleet: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every resource, scheduled or not, running or not: a stopped box is listed (and
    is still no opportunity: only running ones are)."""
    launch(fleet, Box("parked", "t3.small", {"team": "web"}, running=False))
    assert instance_states(fleet)["parked"] == "stopped"
    assert cli(tmp_path, "inventory", "--dry-run", "-o", "json") == 0
    listed = {r["name"]: r for r in json.loads(capsys.readouterr().out)["resources"]}
    assert listed["parked"]["state"] == "stopped"
    assert listed["dev-forgotten"]["state"] == "running"
    assert cli(tmp_path, "inventory") == 0
    snapshot = next(iter(read_inventory(LocalStore(tmp_path))))
    opportunities = find_opportunities(snapshot.resources, running_hours_per_week=55)
    assert "parked" not in {o.resource.name for o in opportunities}
    assert "parked" in {r.name for r in snapshot.resources}


@dataclass
class LambdaContext:
    function_name: str = "offhours-scheduler"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:offhours"
    aws_request_id: str = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 600_000


def test_the_lambda_inventory_event_writes_the_snapshot_to_s3(
    fleet: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3

    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="ledger", CreateBucketConfiguration={"LocationConstraint": REGION})
    monkeypatch.setenv("OFFHOURS_LEDGER", "s3://ledger/offhours")
    monkeypatch.setenv("OFFHOURS_AWS_REGIONS", REGION)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "offhours")
    from functions.clouds.aws_lambda import handler

    event = {"action": "inventory", "scheduled_time": "2026-11-24T05:30:00Z"}
    result = handler(event, LambdaContext())
    assert result["errors"] == [] and result["untagged"] == 3
    key = "offhours/inventory/v1/aws/123456789012/eu-west-1.json"
    assert result["snapshots"] == ["inventory/v1/aws/123456789012/eu-west-1.json"]
    snapshot = json.loads(s3.get_object(Bucket="ledger", Key=key)["Body"].read())
    assert snapshot["taken_at"] == "2026-11-24T05:30:00Z"
    assert {r["name"] for r in snapshot["resources"]} >= {"dev-forgotten", "scratch-db"}
    assert set(instance_states(fleet).values()) == {"running"}
    listed = s3.list_objects_v2(Bucket="ledger", Prefix="offhours/ledger/")
    assert listed["KeyCount"] == 0  # no scheduling run happened
