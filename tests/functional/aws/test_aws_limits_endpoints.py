"""SageMaker endpoints whose capacity Application Auto Scaling manages, through the
reconcile job on moto with the documented deregistration on delete enforced
(``sandbox/aws_limits.py``): the plan's reason, the endpoint and its scalable target
afterwards, and nothing in the ledger."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aws_kit import at, decision_for, make_job, rows, run, settings_for
from test_aws_endpoints import TAGS, exists, seed

from sandbox.aws_limits import documented_limits


@pytest.fixture
def job(tmp_path: Any, clock: Any, calls: Any, sagemaker: Any) -> Iterator[Any]:
    with documented_limits():
        yield make_job(settings_for(tmp_path, ["sagemaker-endpoints"]), clock, calls)


def scaling(clients: Any) -> Any:
    return clients.__getattr__("application-autoscaling")


def targets(clients: Any) -> list[str]:
    found = scaling(clients).describe_scalable_targets(ServiceNamespace="sagemaker")
    return [t["ResourceId"] for t in found["ScalableTargets"]]


def test_an_endpoint_under_application_auto_scaling_is_left_to_it(
    clients: Any, sagemaker: Any, job: Any, clock: Any
) -> None:
    """SageMaker Developer Guide, "Delete endpoints configured for auto scaling": deleting
    the endpoint deregisters its variants as scalable targets without notice, so one
    recreated in the morning would have lost its scaling (the fake deregisters them as
    documented; Application Auto Scaling API 2016-02-06, RegisterScalableTarget with
    ``sagemaker:variant:DesiredInstanceCount``)."""
    seed(clients, {"scaled": TAGS, "plain": TAGS})
    scaling(clients).register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId="endpoint/scaled/variant/main",
        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        MinCapacity=1,
        MaxCapacity=4,
    )
    report = run(job, clock, at(0, 19, 5))
    assert decision_for(report, "scaled").reason.startswith(
        "Application Auto Scaling manages variant main: deleting the endpoint would drop"
    )
    assert exists(sagemaker, "scaled") and not exists(sagemaker, "plain")
    run(job, clock, at(1, 8, 5))
    assert exists(sagemaker, "scaled") and exists(sagemaker, "plain")
    assert targets(clients) == ["endpoint/scaled/variant/main"]
    assert rows(job, ResourceName="scaled") == []
    assert [r["x_Action"] for r in rows(job, ResourceName="plain")] == ["scale-down", "scale-up"]
