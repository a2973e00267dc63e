"""RDS databases and Aurora clusters AWS refuses to stop, through the reconcile job on moto
with the documented refusals enforced (moto's own for instances, ``sandbox/aws_limits.py``
for clusters): the plan's reason, the real status afterwards, and nothing in the ledger."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aws_kit import at, decision_for, make_job, rows, run, settings_for
from botocore.exceptions import ClientError
from test_aws_rds import cluster_status, db_status, make_db

from sandbox.aws_limits import documented_limits

OFFICE = {"schedule": "office-hours"}


@pytest.fixture
def job(tmp_path: Any, clock: Any, calls: Any, aws: None) -> Iterator[Any]:
    with documented_limits():
        yield make_job(settings_for(tmp_path, ["rds", "aurora"]), clock, calls)


def make_cluster(clients: Any, name: str, **extra: Any) -> None:
    clients.rds.create_db_cluster(
        DBClusterIdentifier=name,
        Engine=extra.pop("Engine", "aurora-postgresql"),
        MasterUsername="admin",
        MasterUserPassword="password123",
        Tags=[{"Key": k, "Value": v} for k, v in OFFICE.items()],
        **extra,
    )


def test_a_sql_server_multi_az_database_is_skipped_at_plan_time(
    clients: Any, job: Any, clock: Any
) -> None:
    """RDS User Guide, "Stopping an Amazon RDS DB instance temporarily", limitations: "You
    can't stop an RDS for SQL Server DB instance in a Multi-AZ configuration" (RDS API
    2014-10-31, StopDBInstance)."""
    make_db(
        clients,
        "ledger-mssql",
        OFFICE,
        Engine="sqlserver-se",
        MultiAZ=True,
        LicenseModel="license-included",
    )
    with pytest.raises(ClientError):
        clients.rds.stop_db_instance(DBInstanceIdentifier="ledger-mssql")  # refused as on AWS
    report = run(job, clock, at(0, 19, 5))
    assert decision_for(report, "ledger-mssql").reason == "SQL Server Multi-AZ: RDS cannot stop it"
    run(job, clock, at(1, 8, 5))
    assert db_status(clients, "ledger-mssql") == "available"
    assert rows(job, ResourceName="ledger-mssql") == []


def test_an_aurora_serverless_v1_cluster_is_skipped_at_plan_time(
    clients: Any, job: Any, clock: Any
) -> None:
    """Aurora User Guide, "Stopping and starting an Amazon Aurora DB cluster", limitations:
    an Aurora Serverless v1 cluster cannot be stopped (it pauses itself when idle); the
    refusal is ``InvalidDBClusterStateFault`` (RDS API 2014-10-31, StopDBCluster)."""
    make_cluster(
        clients,
        "reports-v1",
        EngineMode="serverless",
        ScalingConfiguration={"MinCapacity": 2, "MaxCapacity": 8, "AutoPause": True},
    )
    with pytest.raises(ClientError, match="InvalidDBClusterStateFault"):
        clients.rds.stop_db_cluster(DBClusterIdentifier="reports-v1")
    report = run(job, clock, at(0, 19, 5))
    assert decision_for(report, "reports-v1").reason == (
        "Aurora Serverless v1: RDS cannot stop it (it pauses by itself)"
    )
    run(job, clock, at(1, 8, 5))
    assert cluster_status(clients, "reports-v1") == "available"
    assert rows(job, ResourceName="reports-v1") == []


def test_a_member_of_an_aurora_global_database_is_skipped_at_plan_time(
    clients: Any, job: Any, clock: Any
) -> None:
    """Aurora User Guide, "Stopping and starting an Amazon Aurora DB cluster", limitations:
    "You can't stop and start a cluster that's part of an Aurora global database"
    (StopDBCluster answers ``InvalidDBClusterStateFault``; RDS API 2014-10-31)."""
    clients.rds.create_global_cluster(
        GlobalClusterIdentifier="orders-global", Engine="aurora-postgresql"
    )
    make_cluster(clients, "orders-eu", GlobalClusterIdentifier="orders-global")
    make_cluster(clients, "scratch")
    with pytest.raises(ClientError, match="InvalidDBClusterStateFault"):
        clients.rds.stop_db_cluster(DBClusterIdentifier="orders-eu")
    report = run(job, clock, at(0, 19, 5))
    assert decision_for(report, "orders-eu").reason == (
        "member of global database orders-global: RDS cannot stop it"
    )
    assert cluster_status(clients, "scratch") == "stopped"
    run(job, clock, at(1, 8, 5))
    assert cluster_status(clients, "orders-eu") == "available"
    assert rows(job, ResourceName="orders-eu") == []
    assert [r["x_Action"] for r in rows(job, ResourceName="scratch")] == ["stop", "start"]
