"""RDS instances and Aurora clusters on moto: stop and start by schedule, read replicas
and cluster members left alone, a database RDS restarted after seven days stopped again
with the reason in the ledger, prices per engine family."""

from __future__ import annotations

from typing import Any

import pytest
from aws_kit import TARGET, at, decision_for, make_job, result_for, rows, run, settings_for

from providers.aws.rds import STOPPED_AT_TAG, RdsInstances
from providers.base import AdapterOptions

SCHEDULE = {"schedule": "office-hours"}


def make_db(clients: Any, name: str, tags: dict[str, str], **extra: Any) -> None:
    params = {
        "DBInstanceClass": "db.t3.medium",
        "Engine": "postgres",
        "MasterUsername": "admin",
        "MasterUserPassword": "password123",
        "AllocatedStorage": 20,
    } | extra
    clients.rds.create_db_instance(
        DBInstanceIdentifier=name,
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
        **params,
    )


def db_status(clients: Any, name: str) -> str:
    found = clients.rds.describe_db_instances(DBInstanceIdentifier=name)
    return str(found["DBInstances"][0]["DBInstanceStatus"])


def db_tags(clients: Any, name: str) -> dict[str, str]:
    db = clients.rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]
    return {t["Key"]: t["Value"] for t in db["TagList"]}


def cluster_status(clients: Any, name: str) -> str:
    found = clients.rds.describe_db_clusters(DBClusterIdentifier=name)
    return str(found["DBClusters"][0]["Status"])


@pytest.fixture
def job(tmp_path: Any, clock: Any, calls: Any, aws: None) -> Any:
    return make_job(settings_for(tmp_path, ["rds", "aurora"]), clock, calls)


def test_stops_and_starts_a_database_and_books_the_savings(
    clients: Any, job: Any, clock: Any
) -> None:
    make_db(clients, "dev-db", SCHEDULE)
    make_db(clients, "untagged-db", {"team": "data"})
    run(job, clock, at(0, 19, 5))
    assert db_status(clients, "dev-db") == "stopped"
    assert db_tags(clients, "dev-db")[STOPPED_AT_TAG] == "2026-11-23T19:05:00Z"
    assert db_status(clients, "untagged-db") == "available"
    run(job, clock, at(1, 8, 5))
    assert db_status(clients, "dev-db") == "available"
    assert STOPPED_AT_TAG not in db_tags(clients, "dev-db")
    stop, start = rows(job, ResourceName="dev-db")
    assert (stop["x_Action"], start["x_Action"]) == ("stop", "start")
    assert stop["ServiceName"] == "Amazon Relational Database Service"
    # db.t3.medium PostgreSQL, Single-AZ, eu-west-1.
    assert start["ListUnitPrice"] == pytest.approx(0.0799)
    assert start["x_EstimatedSavings"] == pytest.approx(13.0 * 0.0799)


def test_read_replicas_and_their_sources_are_skipped_with_a_reason(
    clients: Any, job: Any, clock: Any
) -> None:
    make_db(clients, "primary", SCHEDULE)
    clients.rds.create_db_instance_read_replica(
        DBInstanceIdentifier="replica",
        SourceDBInstanceIdentifier="primary",
        Tags=[{"Key": "schedule", "Value": "office-hours"}],
    )
    report = run(job, clock, at(0, 19, 5))
    assert "read replica of primary" in decision_for(report, "replica").reason
    assert "source of read replica(s) replica" in decision_for(report, "primary").reason
    assert {r.outcome.value for r in report.results} == {"skipped"}
    assert db_status(clients, "primary") == db_status(clients, "replica") == "available"


def test_a_database_rds_restarted_after_seven_days_is_stopped_again_with_the_reason(
    clients: Any, job: Any, clock: Any
) -> None:
    make_db(clients, "archive-db", {"schedule": "always-off"})
    run(job, clock, at(0, 9, 0))
    assert db_status(clients, "archive-db") == "stopped"
    # Eight days later RDS has started it by itself (moto does not: do what RDS does).
    clients.rds.start_db_instance(DBInstanceIdentifier="archive-db")
    report = run(job, clock, at(8, 9, 0))
    result = result_for(report, "archive-db")
    assert result.outcome.value == "done"
    assert result.detail.startswith("RDS restarted it after 7 days stopped")
    assert result.detail.endswith("stopping again")
    assert db_status(clients, "archive-db") == "stopped"
    second_stop = rows(job, ResourceName="archive-db", x_Action="stop")[-1]
    assert "RDS restarted it after 7 days stopped" in second_stop["x_Detail"]
    assert db_tags(clients, "archive-db")[STOPPED_AT_TAG] == "2026-12-01T09:00:00Z"


def test_the_week_a_database_was_off_before_rds_restarted_it_is_booked(
    clients: Any, job: Any, clock: Any
) -> None:
    make_db(clients, "archive-db", {"schedule": "always-off"})
    run(job, clock, at(0, 9, 0))
    clients.rds.start_db_instance(DBInstanceIdentifier="archive-db")
    run(job, clock, at(8, 9, 0))
    booked = sum(r["x_AvoidedHours"] for r in rows(job, ResourceName="archive-db"))
    assert booked >= 7 * 24


def test_a_database_started_by_hand_days_after_a_stop_gets_no_note(
    clients: Any, job: Any, clock: Any
) -> None:
    make_db(clients, "dev-db", {"schedule": "always-off"})
    run(job, clock, at(0, 9, 0))
    clients.rds.start_db_instance(DBInstanceIdentifier="dev-db")
    report = run(job, clock, at(2, 9, 0))
    assert result_for(report, "dev-db").detail == ""
    assert db_status(clients, "dev-db") == "stopped"


def test_aurora_cluster_is_scheduled_and_its_members_are_not(
    clients: Any, job: Any, clock: Any
) -> None:
    clients.rds.create_db_cluster(
        DBClusterIdentifier="analytics",
        Engine="aurora-postgresql",
        MasterUsername="admin",
        MasterUserPassword="password123",
        Tags=[{"Key": "schedule", "Value": "office-hours"}],
    )
    for member in ("analytics-1", "analytics-2"):
        make_db(
            clients,
            member,
            SCHEDULE,
            DBInstanceClass="db.r6g.large",
            Engine="aurora-postgresql",
            DBClusterIdentifier="analytics",
        )
    report = run(job, clock, at(0, 19, 5))
    cluster = decision_for(report, "analytics")
    assert cluster.resource.kind == "aurora" and cluster.action.value == "stop"
    assert cluster.resource.size == "2 x db.r6g.large"
    assert cluster.resource.price is not None
    assert cluster.resource.price.hourly == pytest.approx(2 * 0.2886)
    assert "member of DB cluster analytics" in decision_for(report, "analytics-1").reason
    # moto answers the stop call with "available"; describe says what it is.
    assert cluster_status(clients, "analytics") == "stopped"
    report = run(job, clock, at(1, 8, 5))
    assert decision_for(report, "analytics").action.value == "start"
    assert cluster_status(clients, "analytics") == "available"
    assert [r["x_Action"] for r in rows(job, x_Kind="aurora")] == ["stop", "start"]


def test_prices_multi_az_double_and_unknown_classes_stay_unknown(
    clients: Any, clock: Any, calls: Any, aws: None
) -> None:
    from providers.aws.connection import connect
    from providers.base import ProviderConfig

    make_db(clients, "multi-az", SCHEDULE, MultiAZ=True)
    make_db(clients, "odd-class", SCHEDULE, DBInstanceClass="db.x2g.large")
    make_db(clients, "mysql", SCHEDULE, Engine="mysql", DBInstanceClass="db.m5.large")
    connection = calls.attach(connect(ProviderConfig(regions=("eu-west-1",))))
    adapter = calls.track(RdsInstances(connection, AdapterOptions(clock=clock)))
    found = {r.name: r for r in adapter.discover(TARGET)}
    assert found["multi-az"].price is not None
    assert found["multi-az"].price.hourly == pytest.approx(2 * 0.0799)
    assert found["odd-class"].price is None
    assert found["mysql"].price is not None
    assert found["mysql"].price.hourly == pytest.approx(0.1898)
