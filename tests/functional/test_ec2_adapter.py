"""EC2 adapter against moto: discovery filters, batched stop/start, bisecting on failure,
hibernation fallback, instances that must never be touched."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from providers.aws.connection import connect
from providers.aws.ec2 import Ec2Instances
from providers.base import (
    Action,
    AdapterOptions,
    Decision,
    Outcome,
    ProviderConfig,
    ResourceState,
    Target,
)
from sandbox.aws_fleet import Box, instance_states, launch

TARGET = Target("aws", "123456789012", "eu-west-1")


@pytest.fixture
def adapter(ec2: Any, clock: Any) -> Ec2Instances:
    connection = connect(ProviderConfig(regions=("eu-west-1",)))
    return Ec2Instances(connection, AdapterOptions(clock=clock, batch_size=4))


def _discover(adapter: Ec2Instances) -> dict[str, Any]:
    return {r.name: r for r in adapter.discover(TARGET)}


def test_discovers_only_tagged_instances_with_state_size_and_price(
    ec2: Any, adapter: Ec2Instances
) -> None:
    launch(ec2, Box("tagged", "t3.medium", {"schedule": "office-hours"}))
    launch(ec2, Box("off", "m5.large", {"schedule": "office-hours"}, running=False))
    launch(ec2, Box("untagged", "t3.medium", {"team": "web"}))
    found = _discover(adapter)
    assert set(found) == {"tagged", "off"}
    assert found["tagged"].state is ResourceState.RUNNING
    assert found["off"].state is ResourceState.STOPPED
    assert found["tagged"].size == "t3.medium"
    assert found["tagged"].price is not None and found["tagged"].price.hourly > 0
    assert found["tagged"].price.source.startswith("bundled:")


def test_unknown_instance_type_has_no_price(ec2: Any, adapter: Ec2Instances) -> None:
    launch(ec2, Box("odd", "x2iedn.xlarge", {"schedule": "office-hours"}))
    assert _discover(adapter)["odd"].price is None


def test_hourly_cost_tag_overrides_the_list_price(ec2: Any, adapter: Ec2Instances) -> None:
    launch(ec2, Box("charged", "t3.medium", {"schedule": "office-hours", "hourly-cost": "0.5"}))
    price = _discover(adapter)["charged"].price
    assert price is not None and price.hourly == 0.5 and price.source == "tag:hourly-cost"


def test_asg_members_are_unmanaged(ec2: Any, adapter: Ec2Instances) -> None:
    launch(
        ec2,
        Box(
            "worker",
            "t3.small",
            {"schedule": "office-hours", "aws:autoscaling:groupName": "workers"},
        ),
    )
    assert "Auto Scaling group workers" in _discover(adapter)["worker"].unmanaged_reason


def test_stops_many_instances_in_batches(ec2: Any, adapter: Ec2Instances) -> None:
    for i in range(10):
        launch(ec2, Box(f"dev-{i}", "t3.micro", {"schedule": "office-hours"}))
    decisions = [Decision(r, Action.STOP, "off") for r in adapter.discover(TARGET)]
    results = list(adapter.apply(decisions, dry_run=False))
    assert {r.outcome for r in results} == {Outcome.DONE}
    assert set(instance_states(ec2).values()) == {"stopped"}


def test_failing_instance_does_not_block_the_batch(ec2: Any, adapter: Ec2Instances) -> None:
    for i in range(6):
        launch(ec2, Box(f"dev-{i}", "t3.micro", {"schedule": "office-hours"}))
    resources = list(adapter.discover(TARGET))
    # An instance that vanished between discovery and action: AWS rejects any batch
    # holding its id, so the batch is split until the healthy ones go through.
    victim = replace(resources[2], id="i-0123456789abcdef0")
    resources[2] = victim
    results = list(adapter.apply([Decision(r, Action.STOP, "off") for r in resources], False))
    by_id = {r.resource.id: r for r in results}
    assert by_id[victim.id].outcome is Outcome.FAILED
    assert by_id[victim.id].error.startswith("InvalidInstanceID.NotFound")
    assert [r.outcome for r in results].count(Outcome.DONE) == 5
    assert sorted(instance_states(ec2).values()) == ["running"] + ["stopped"] * 5


def test_hibernates_when_configured_and_falls_back_when_not(
    ec2: Any, adapter: Ec2Instances
) -> None:
    launch(ec2, Box("can", "m5.large", {"schedule": "office-hours"}, hibernation=True))
    launch(ec2, Box("cannot", "m5.large", {"schedule": "office-hours"}))
    decisions = [Decision(r, Action.STOP, "off", hibernate=True) for r in adapter.discover(TARGET)]
    results = {r.resource.name: r for r in adapter.apply(decisions, False)}
    assert results["can"].outcome is Outcome.DONE and results["can"].detail == ""
    assert results["cannot"].outcome is Outcome.DONE
    assert "stopped instead" in results["cannot"].detail
    assert set(instance_states(ec2).values()) == {"stopped"}


def test_hibernation_refused_by_aws_falls_back_to_stop(
    ec2: Any, adapter: Ec2Instances, monkeypatch: pytest.MonkeyPatch
) -> None:
    # moto never refuses hibernation (FIELD-NOTES): make StopInstances with Hibernate fail.
    from botocore.exceptions import ClientError

    launch(ec2, Box("can", "m5.large", {"schedule": "office-hours"}, hibernation=True))
    client = adapter.connection.client("ec2", TARGET)
    real_stop = client.stop_instances

    def stop(**kwargs: Any) -> Any:
        if kwargs.get("Hibernate"):
            raise ClientError(
                {"Error": {"Code": "UnsupportedHibernationConfiguration", "Message": "not ready"}},
                "StopInstances",
            )
        return real_stop(**kwargs)

    monkeypatch.setattr(client, "stop_instances", stop)
    decisions = [Decision(r, Action.STOP, "off", hibernate=True) for r in adapter.discover(TARGET)]
    (result,) = adapter.apply(decisions, False)
    assert result.outcome is Outcome.DONE
    assert "hibernation refused (UnsupportedHibernationConfiguration" in result.detail
    assert instance_states(ec2)["can"] == "stopped"


def test_start_brings_instances_back(ec2: Any, adapter: Ec2Instances) -> None:
    launch(ec2, Box("a", "t3.micro", {"schedule": "office-hours"}, running=False))
    launch(ec2, Box("b", "t3.micro", {"schedule": "office-hours"}, running=False))
    decisions = [Decision(r, Action.START, "on") for r in adapter.discover(TARGET)]
    assert {r.outcome for r in adapter.apply(decisions, False)} == {Outcome.DONE}
    assert set(instance_states(ec2).values()) == {"running"}


def test_dry_run_changes_nothing(ec2: Any, adapter: Ec2Instances) -> None:
    launch(ec2, Box("a", "t3.micro", {"schedule": "office-hours"}))
    decisions = [Decision(r, Action.STOP, "off") for r in adapter.discover(TARGET)]
    assert [r.outcome for r in adapter.apply(decisions, True)] == [Outcome.DRY_RUN]
    assert instance_states(ec2)["a"] == "running"


def test_discovery_reads_the_next_page_only_when_the_first_is_consumed(
    ec2: Any, adapter: Ec2Instances
) -> None:
    # Memory follows the page, not the fleet: what is terminated while the first page
    # is being handled is not in the pages read after it.
    ids = [
        launch(ec2, Box(f"box-{n}", "t3.medium", {"schedule": "office-hours"})) for n in range(5)
    ]
    adapter.page_size = 2
    stream = iter(adapter.discover(TARGET))
    first = [next(stream), next(stream)]
    ec2.terminate_instances(InstanceIds=[i for i in ids if i not in {r.id for r in first}])
    assert list(stream) == []
    assert [r.name for r in first] == ["box-0", "box-1"]


def test_launch_times_are_zone_aware(ec2: Any, adapter: Ec2Instances) -> None:
    launch(ec2, Box("tagged", "t3.medium", {"schedule": "office-hours"}))
    (found,) = adapter.discover(TARGET)
    assert found.started_at is not None and found.started_at.utcoffset() is not None


def test_an_instance_stopped_by_hand_since_discovery_is_skipped(
    ec2: Any, adapter: Ec2Instances
) -> None:
    for i in range(3):
        launch(ec2, Box(f"dev-{i}", "t3.micro", {"schedule": "office-hours"}))
    resources = sorted(adapter.discover(TARGET), key=lambda r: r.name)
    ec2.stop_instances(InstanceIds=[resources[1].id])  # someone was quicker
    results = list(adapter.apply([Decision(r, Action.STOP, "off") for r in resources], False))
    outcomes = {r.resource.name: (r.outcome, r.detail) for r in results}
    assert outcomes["dev-1"] == (Outcome.SKIPPED, "already off")
    assert outcomes["dev-0"][0] is Outcome.DONE and outcomes["dev-2"][0] is Outcome.DONE
    assert set(instance_states(ec2).values()) == {"stopped"}


def test_skips_and_actions_an_instance_has_not_go_through_the_engine(
    ec2: Any, adapter: Ec2Instances
) -> None:
    """The engine's own wording for a skip and for an action the kind has no call for,
    and the other decisions still carried out: the stopped instance is stopped in moto."""
    launch(ec2, Box("stays", "t3.micro", {"schedule": "office-hours"}))
    launch(ec2, Box("odd", "t3.micro", {"schedule": "office-hours"}))
    launch(ec2, Box("goes", "t3.micro", {"schedule": "office-hours"}))
    found = _discover(adapter)
    decisions = [
        Decision(found["stays"], Action.SKIP, "on"),
        Decision(found["odd"], Action.SCALE_DOWN, "off"),
        Decision(found["goes"], Action.STOP, "off"),
    ]
    results = {r.resource.name: r for r in adapter.apply(decisions, dry_run=False)}
    assert results["stays"].outcome is Outcome.SKIPPED
    assert (results["odd"].outcome, results["odd"].error) == (
        Outcome.FAILED,
        "ec2 cannot scale-down",
    )
    assert results["goes"].outcome is Outcome.DONE
    states = instance_states(ec2)
    assert (states["stays"], states["odd"], states["goes"]) == ("running", "running", "stopped")
