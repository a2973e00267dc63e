"""An ECS service under Service Auto Scaling, through the reconcile job on moto with
Application Auto Scaling's range enforced (``sandbox/aws_limits.py``): the count and the
scalable target's minimum overnight and in the morning, and the ledger."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aws_kit import at, decision_for, make_job, result_for, rows, run, saved, settings_for
from botocore.exceptions import ClientError
from test_aws_ecs import make_service, service

from sandbox.aws_limits import documented_limits

OFFICE = {"schedule": "office-hours"}


@pytest.fixture
def job(tmp_path: Any, clock: Any, calls: Any, aws: None) -> Iterator[Any]:
    with documented_limits():
        yield make_job(settings_for(tmp_path, ["ecs"]), clock, calls)


def scaling(clients: Any) -> Any:
    return clients.__getattr__("application-autoscaling")


def minimum(clients: Any, name: str) -> int:
    found = scaling(clients).describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[f"service/dev/{name}"]
    )["ScalableTargets"]
    return int(found[0]["MinCapacity"])


def register(clients: Any, name: str, low: int, high: int) -> None:
    scaling(clients).register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=f"service/dev/{name}",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=low,
        MaxCapacity=high,
    )


def test_the_scaling_minimum_is_lowered_with_the_count_and_put_back_after_it(
    clients: Any, job: Any, clock: Any
) -> None:
    """Application Auto Scaling User Guide, "Application Auto Scaling concepts" (API
    2016-02-06): a capacity outside [minimum, maximum] is brought back inside it whenever a
    policy runs or RegisterScalableTarget is called. The fake does that; without lowering
    the minimum the service would be back at 2 tasks."""
    make_service(clients, "api", 3, OFFICE)
    register(clients, "api", 2, 6)
    clients.ecs.update_service(cluster="dev", service="api", desiredCount=0)
    assert service(clients, "api")[0] == 2  # what the fake does to a plain desired 0
    clients.ecs.update_service(cluster="dev", service="api", desiredCount=3)

    report = run(job, clock, at(0, 19, 5))
    assert result_for(report, "api").detail.endswith("scaling minimum 2 -> 0")
    assert (service(clients, "api")[0], minimum(clients, "api")) == (0, 0)
    assert saved(job, "ecs", "dev/api") == {"desired": 3, "scaling_min": 2}
    run(job, clock, at(0, 23, 0))
    assert service(clients, "api")[0] == 0  # still off overnight
    run(job, clock, at(1, 8, 5))
    assert (service(clients, "api")[0], minimum(clients, "api")) == (3, 2)
    assert saved(job, "ecs", "dev/api") is None
    down, up = rows(job, ResourceName="api")
    assert (down["x_Action"], up["x_Action"]) == ("scale-down", "scale-up")
    assert up["x_AvoidedHours"] == pytest.approx(13.0)


def test_a_service_whose_scaling_minimum_is_already_zero_keeps_its_target_untouched(
    clients: Any, job: Any, clock: Any
) -> None:
    """Same source: a minimum of 0 lets the count stay at 0, so only the count is saved."""
    make_service(clients, "worker", 2, OFFICE)
    register(clients, "worker", 0, 4)
    run(job, clock, at(0, 19, 5))
    assert saved(job, "ecs", "dev/worker") == {"desired": 2}
    assert (service(clients, "worker")[0], minimum(clients, "worker")) == (0, 0)
    run(job, clock, at(1, 8, 5))
    assert (service(clients, "worker")[0], minimum(clients, "worker")) == (2, 0)


def test_a_daemon_service_is_skipped_at_plan_time(clients: Any, job: Any, clock: Any) -> None:
    """ECS API reference 2014-11-13, UpdateService: ``desiredCount`` is not valid for a
    service using the DAEMON scheduling strategy (the fake refuses it the same way)."""
    clients.ecs.create_cluster(clusterName="dev")
    clients.ecs.register_task_definition(
        family="api", containerDefinitions=[{"name": "agent", "image": "fluent-bit", "memory": 128}]
    )
    clients.ecs.create_service(
        cluster="dev",
        serviceName="node-agent",
        taskDefinition="api",
        schedulingStrategy="DAEMON",
        launchType="EC2",
        tags=[{"key": "schedule", "value": "office-hours"}],
    )
    with pytest.raises(ClientError, match="InvalidParameterException"):
        clients.ecs.update_service(cluster="dev", service="node-agent", desiredCount=0)
    report = run(job, clock, at(0, 19, 5))
    assert decision_for(report, "node-agent").reason.startswith(
        "daemon service: ECS runs one task on every container instance"
    )
    run(job, clock, at(1, 8, 5))
    assert rows(job, ResourceName="node-agent") == []
