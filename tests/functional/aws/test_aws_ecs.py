"""ECS services on moto through the reconcile job: desired count to 0 and back to exactly
the previous count (saved in the restore store first; the previous
release's tag still read), services found among many, Fargate prices."""

from __future__ import annotations

from typing import Any

import pytest
from aws_kit import at, decision_for, make_job, result_for, rows, run, saved, settings_for


def make_service(
    clients: Any,
    name: str,
    desired: int,
    tags: dict[str, str],
    launch_type: str = "FARGATE",
    cluster: str = "dev",
) -> None:
    ecs = clients.ecs
    ecs.create_cluster(clusterName=cluster)
    ecs.register_task_definition(
        family="api",
        containerDefinitions=[{"name": "api", "image": "nginx"}],
        cpu="512",
        memory="1024",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
    )
    ecs.create_service(
        cluster=cluster,
        serviceName=name,
        taskDefinition="api",
        desiredCount=desired,
        launchType=launch_type,
        tags=[{"key": k, "value": v} for k, v in tags.items()],
    )


def service(clients: Any, name: str, cluster: str = "dev") -> tuple[int, dict[str, str]]:
    found = clients.ecs.describe_services(cluster=cluster, services=[name], include=["TAGS"])
    s = found["services"][0]
    return s["desiredCount"], {t["key"]: t["value"] for t in s.get("tags", [])}


@pytest.fixture
def job(tmp_path: Any, clock: Any, calls: Any, aws: None) -> Any:
    return make_job(settings_for(tmp_path, ["ecs"]), clock, calls)


def test_scales_to_zero_and_back_to_exactly_the_previous_count(
    clients: Any, job: Any, clock: Any
) -> None:
    make_service(clients, "api", 3, {"schedule": "office-hours"})
    report = run(job, clock, at(0, 19, 5))
    assert result_for(report, "api").outcome.value == "done"
    assert service(clients, "api") == (0, {"schedule": "office-hours"})
    assert saved(job, "ecs", "dev/api") == {"desired": 3}
    run(job, clock, at(1, 8, 5))
    assert service(clients, "api") == (3, {"schedule": "office-hours"})
    assert saved(job, "ecs", "dev/api") is None

    down, up = rows(job, ResourceName="api")
    assert (down["x_Action"], up["x_Action"]) == ("scale-down", "scale-up")
    assert down["x_ApiResourceId"] == "dev/api"
    assert down["ResourceId"].startswith("arn:aws:ecs:eu-west-1:")
    assert down["ResourceId"].endswith(":service/dev/api")
    assert down["ServiceName"] == "Amazon Elastic Container Service"
    # 3 tasks x (0.5 vCPU x 0.04048 + 1 GB x 0.004445) in eu-west-1 (Fargate, x86).
    hourly = 3 * (0.5 * 0.04048 + 1 * 0.004445)
    assert up["ListUnitPrice"] == pytest.approx(hourly)
    assert up["x_EstimatedSavings"] == pytest.approx(13.0 * hourly)


def test_a_crash_after_saving_the_count_loses_nothing(
    clients: Any, job: Any, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_service(clients, "api", 2, {"schedule": "office-hours"})
    ecs = job.connections["aws"].client("ecs", job.connections["aws"].targets()[0])

    def crash(**_: Any) -> Any:
        raise RuntimeError("simulated crash between saving the count and scaling")

    monkeypatch.setattr(ecs, "update_service", crash)
    run(job, clock, at(0, 19, 5))
    assert service(clients, "api") == (2, {"schedule": "office-hours"})
    assert saved(job, "ecs", "dev/api") == {"desired": 2}
    monkeypatch.undo()
    run(job, clock, at(0, 19, 20))
    assert service(clients, "api")[0] == 0
    run(job, clock, at(1, 8, 5))
    assert service(clients, "api") == (2, {"schedule": "office-hours"})


def test_a_service_at_zero_with_nothing_saved_is_a_failed_start(
    clients: Any, job: Any, clock: Any
) -> None:
    make_service(clients, "parked", 0, {"schedule": "office-hours"})
    run(job, clock, at(0, 19, 5))
    report = run(job, clock, at(1, 8, 5))
    result = result_for(report, "parked")
    assert result.outcome.value == "failed"
    assert result.error.startswith("no saved size to restore")
    assert service(clients, "parked")[0] == 0


def test_finds_tagged_services_among_many_clusters_and_services(
    clients: Any, job: Any, clock: Any
) -> None:
    for i in range(12):  # more than one describe_services batch of 10
        tags = {"schedule": "office-hours"} if i % 4 == 0 else {"team": "web"}
        make_service(clients, f"svc-{i:02d}", 1, tags)
    make_service(clients, "worker", 2, {"schedule": "office-hours"}, cluster="batch")
    report = run(job, clock, at(0, 19, 5))
    assert sorted(d.resource.id for d in report.decisions) == [
        "batch/worker",
        "dev/svc-00",
        "dev/svc-04",
        "dev/svc-08",
    ]
    assert service(clients, "svc-04")[0] == 0 and service(clients, "svc-05")[0] == 1


def test_ec2_launch_type_has_no_price(clients: Any, job: Any, clock: Any) -> None:
    make_service(clients, "on-ec2", 2, {"schedule": "office-hours"}, launch_type="EC2")
    report = run(job, clock, at(0, 19, 5))
    assert decision_for(report, "on-ec2").resource.price is None
    (row,) = rows(job, ResourceName="on-ec2")
    assert row["ListUnitPrice"] is None and row["x_PriceSource"] == "unknown"
