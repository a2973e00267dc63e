"""SageMaker notebook instances on moto through the reconcile job: stopped in off hours,
started at the transition, a notebook started by hand gets its grace period."""

from __future__ import annotations

from typing import Any

import pytest
from aws_kit import ACCOUNT, at, decision_for, make_job, rows, run, settings_for

from sandbox.aws_more import backdate_sagemaker

ROLE = f"arn:aws:iam::{ACCOUNT}:role/notebooks"


def make_notebook(clients: Any, name: str, size: str, tags: dict[str, str]) -> None:
    clients.sagemaker.create_notebook_instance(
        NotebookInstanceName=name,
        InstanceType=size,
        RoleArn=ROLE,
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
    )


def status(clients: Any, name: str) -> str:
    found = clients.sagemaker.describe_notebook_instance(NotebookInstanceName=name)
    return str(found["NotebookInstanceStatus"])


@pytest.fixture
def job(tmp_path: Any, clock: Any, calls: Any, aws: None) -> Any:
    return make_job(settings_for(tmp_path, ["sagemaker-notebooks"]), clock, calls)


def test_stops_and_starts_notebooks_and_books_the_savings(
    clients: Any, job: Any, clock: Any
) -> None:
    make_notebook(clients, "research", "ml.p3.2xlarge", {"schedule": "office-hours"})
    make_notebook(clients, "untagged", "ml.t3.medium", {"team": "ml"})
    backdate_sagemaker(at(-1, 0), ACCOUNT)
    run(job, clock, at(0, 19, 5))
    assert status(clients, "research") == "Stopped"
    assert status(clients, "untagged") == "InService"
    run(job, clock, at(1, 8, 5))
    assert status(clients, "research") == "InService"
    stop, start = rows(job, ResourceName="research")
    assert (stop["x_Action"], start["x_Action"]) == ("stop", "start")
    assert stop["x_Kind"] == "sagemaker-notebooks" and stop["ServiceName"] == "Amazon SageMaker"
    assert start["ListUnitPrice"] == pytest.approx(4.2458)  # ml.p3.2xlarge, eu-west-1
    assert start["x_EstimatedSavings"] == pytest.approx(13.0 * 4.2458)


def test_a_notebook_started_by_hand_at_night_gets_the_grace_period(
    clients: Any, job: Any, clock: Any
) -> None:
    make_notebook(clients, "late", "ml.t3.medium", {"schedule": "office-hours"})
    backdate_sagemaker(at(0, 21, 0), ACCOUNT)  # it came up at 21:00 (by hand)
    report = run(job, clock, at(0, 21, 30))
    assert "grace period" in decision_for(report, "late").reason
    assert status(clients, "late") == "InService"
    run(job, clock, at(0, 22, 15))
    assert status(clients, "late") == "Stopped"
