"""Resources in states AWS will not stop or start from, which moto never reaches by
itself (``sandbox/aws_limits.py`` puts them there), through the reconcile job: the plan's
reason, the state afterwards, and nothing in the ledger."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aws_kit import ACCOUNT, REGION, at, decision_for, make_job, rows, run, settings_for
from test_aws_limits_rds import make_cluster
from test_aws_rds import cluster_status

from sandbox.aws_limits import documented_limits, fail_sagemaker
from sandbox.aws_more import create_endpoint, sagemaker_follows

OFFICE = {"schedule": "office-hours"}


@pytest.fixture
def job(tmp_path: Any, clock: Any, calls: Any, aws: None) -> Iterator[Any]:
    kinds = ["sagemaker-notebooks", "sagemaker-endpoints", "aurora"]
    with documented_limits(), sagemaker_follows(clock):
        yield make_job(settings_for(tmp_path, kinds), clock, calls)


def test_a_failed_notebook_is_skipped_at_plan_time(clients: Any, job: Any, clock: Any) -> None:
    """SageMaker API 2017-07-24, StopNotebookInstance / StartNotebookInstance: only an
    ``InService`` notebook stops and only a ``Stopped`` one starts; ``Failed`` does neither."""
    clients.sagemaker.create_notebook_instance(
        NotebookInstanceName="broken",
        InstanceType="ml.t3.medium",
        RoleArn=f"arn:aws:iam::{ACCOUNT}:role/sm",
        Tags=[{"Key": "schedule", "Value": "office-hours"}],
    )
    fail_sagemaker("broken", notebook=True, region=REGION, account=ACCOUNT)
    report = run(job, clock, at(0, 19, 5))
    assert decision_for(report, "broken").reason == "notebook failed: fix or delete it"
    found = clients.sagemaker.describe_notebook_instance(NotebookInstanceName="broken")
    assert found["NotebookInstanceStatus"] == "Failed"
    assert rows(job, ResourceName="broken") == []


def test_a_failed_endpoint_is_never_deleted(clients: Any, job: Any, clock: Any) -> None:
    """SageMaker API 2017-07-24, DescribeEndpoint ``EndpointStatus`` ``Failed``: the
    endpoint cannot be updated; deleting it would lose what is needed to look into it."""
    clients.sagemaker.create_model(
        ModelName="scorer",
        ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/sm",
        PrimaryContainer={"Image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/scorer:1"},
    )
    create_endpoint(clients.sagemaker, "scoring", "ml.m5.large", OFFICE, model="scorer")
    fail_sagemaker("scoring", notebook=False, region=REGION, account=ACCOUNT)
    report = run(job, clock, at(0, 19, 5))
    assert decision_for(report, "scoring").reason == "endpoint failed: fix or delete it"
    found = clients.sagemaker.describe_endpoint(EndpointName="scoring")
    assert found["EndpointStatus"] == "Failed"
    assert rows(job, ResourceName="scoring") == []


def test_a_cross_region_replica_cluster_and_its_source_are_skipped(
    clients: Any, job: Any, clock: Any
) -> None:
    """Aurora User Guide, "Stopping and starting an Amazon Aurora DB cluster", limitations:
    a cluster that is a cross-Region read replica, or the source of one, cannot be
    stopped (RDS API 2014-10-31, DBCluster ``ReplicationSourceIdentifier``,
    ``ReadReplicaIdentifiers``)."""
    make_cluster(clients, "orders")
    source = clients.rds.describe_db_clusters(DBClusterIdentifier="orders")["DBClusters"][0]
    make_cluster(clients, "orders-replica", ReplicationSourceIdentifier=source["DBClusterArn"])
    report = run(job, clock, at(0, 19, 5))
    assert decision_for(report, "orders-replica").reason.startswith("read replica of ")
    assert decision_for(report, "orders").reason.startswith("source of read replica(s)")
    run(job, clock, at(1, 8, 5))
    assert cluster_status(clients, "orders") == cluster_status(clients, "orders-replica")
    assert cluster_status(clients, "orders") == "available"
    assert rows(job, ResourceName="orders") == rows(job, ResourceName="orders-replica") == []
