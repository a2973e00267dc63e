"""Endpoints hosting inference components scale each component's copy count to 0 and back.

moto does not implement inference components (FIELD-NOTES), so this path runs against a
small in-memory fake of the SageMaker, tagging and CloudWatch clients that answers the
same shapes. The fake also records the IAM action of every call, checked against the
adapter's declared permissions.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aws_kit import ACCOUNT, REGION, TARGET, at

from providers.apply import Deadline
from providers.aws.sagemaker_endpoints import SageMakerEndpoints
from providers.aws.tagging import TagListings
from providers.base import Action, AdapterOptions, Decision, Outcome, ResourceState
from providers.store import LocalStore

ENDPOINT = "llm"
ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{ENDPOINT}"


class _Pages:
    def __init__(self, call: Callable[..., Any]) -> None:
        self.call = call

    def paginate(self, **kwargs: Any) -> list[Any]:
        return [self.call(**kwargs)]


class FakeAws:
    """SageMaker + tagging + CloudWatch for one endpoint with inference components."""

    def __init__(self, copies: dict[str, int]) -> None:
        self.copies = dict(copies)
        self.actions: set[str] = set()
        self.refuse: set[str] = set()
        self.created = at(-1, 0)
        # Components registered as Application Auto Scaling scalable targets.
        self.scaled: set[str] = set()

    def get_paginator(self, operation: str) -> _Pages:
        return _Pages(getattr(self, operation))

    def _record(self, action: str) -> None:
        self.actions.add(action)

    # -- tagging
    def get_resources(self, ResourceTypeFilters: Any, TagFilters: Any = (), **_: Any) -> Any:
        self._record("tag:GetResources")
        tags = [{"Key": "idle-stop", "Value": "2h"}, {"Key": "team", "Value": "ml"}]
        listed = all(f["Key"] in {t["Key"] for t in tags} for f in TagFilters)
        items = [{"ResourceARN": ARN, "Tags": tags}] if listed else []
        return {"ResourceTagMappingList": items}

    # -- sagemaker
    def describe_endpoint(self, EndpointName: str) -> Any:
        self._record("sagemaker:DescribeEndpoint")
        return {
            "EndpointName": ENDPOINT,
            "EndpointArn": ARN,
            "EndpointConfigName": "llm-config",
            "EndpointStatus": "InService",
            "CreationTime": self.created,
            "ProductionVariants": [
                {"VariantName": "main", "CurrentInstanceCount": 1, "CurrentWeight": 1.0}
            ],
        }

    def describe_endpoint_config(self, EndpointConfigName: str) -> Any:
        self._record("sagemaker:DescribeEndpointConfig")
        return {
            "EndpointConfigName": EndpointConfigName,
            "ExecutionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/sm",
            "ProductionVariants": [
                {
                    "VariantName": "main",
                    "InstanceType": "ml.g5.2xlarge",
                    "InitialInstanceCount": 1,
                    "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 0},
                }
            ],
        }

    def list_tags(self, ResourceArn: str) -> Any:
        self._record("sagemaker:ListTags")
        return {"Tags": [{"Key": "idle-stop", "Value": "2h"}, {"Key": "team", "Value": "ml"}]}

    def list_inference_components(self, EndpointNameEquals: str) -> Any:
        self._record("sagemaker:ListInferenceComponents")
        return {"InferenceComponents": [{"InferenceComponentName": n} for n in self.copies]}

    def describe_inference_component(self, InferenceComponentName: str) -> Any:
        self._record("sagemaker:DescribeInferenceComponent")
        count = self.copies[InferenceComponentName]
        return {"RuntimeConfig": {"DesiredCopyCount": count, "CurrentCopyCount": count}}

    def update_inference_component_runtime_config(
        self, InferenceComponentName: str, DesiredRuntimeConfig: Any
    ) -> Any:
        from botocore.exceptions import ClientError

        self._record("sagemaker:UpdateInferenceComponentRuntimeConfig")
        if InferenceComponentName in self.refuse:
            raise ClientError(
                {"Error": {"Code": "ThrottlingException", "Message": "slow down"}},
                "UpdateInferenceComponentRuntimeConfig",
            )
        self.copies[InferenceComponentName] = DesiredRuntimeConfig["CopyCount"]
        return {}

    # -- application auto scaling (API 2016-02-06, DescribeScalableTargets: ResourceId
    # ``inference-component/<name>``, dimension ``sagemaker:inference-component:DesiredCopyCount``)
    def describe_scalable_targets(self, ServiceNamespace: str, **_: Any) -> Any:
        self._record("application-autoscaling:DescribeScalableTargets")
        targets = [
            {
                "ServiceNamespace": ServiceNamespace,
                "ResourceId": f"inference-component/{name}",
                "ScalableDimension": "sagemaker:inference-component:DesiredCopyCount",
                "MinCapacity": 1,
                "MaxCapacity": 4,
            }
            for name in sorted(self.scaled)
        ]
        return {"ScalableTargets": targets}

    # -- cloudwatch
    def get_metric_data(self, MetricDataQueries: Any, **_: Any) -> Any:
        self._record("cloudwatch:GetMetricData")
        return {"MetricDataResults": [{"Id": q["Id"], "Values": []} for q in MetricDataQueries]}


class FakeConnection:
    def __init__(self, fake: FakeAws) -> None:
        self.fake = fake
        self.tag_listings = TagListings()

    def client(self, service: str, target: Any) -> FakeAws:
        return self.fake

    def tagged(self, target: Any, resource_type: str) -> dict[str, dict[str, str]]:
        return self.tag_listings.tagged(target, resource_type, lambda: self.fake)

    def deadline(self) -> Deadline:
        return Deadline.after(0.0)  # copy counts change in the call: nothing to wait for


@pytest.fixture
def fake() -> FakeAws:
    return FakeAws({"llama": 2, "mistral": 1})


@pytest.fixture
def adapter(fake: FakeAws, clock: Any, tmp_path: Path) -> SageMakerEndpoints:
    clock.now = at(0, 10, 0)
    options = AdapterOptions(clock=clock, state=LocalStore(tmp_path / "state"))
    return SageMakerEndpoints(FakeConnection(fake), options)  # type: ignore[arg-type]


def _one(adapter: SageMakerEndpoints) -> Any:
    (resource,) = adapter.discover(TARGET)
    return resource


def test_idle_components_scale_to_zero_copies_and_back(
    fake: FakeAws, adapter: SageMakerEndpoints
) -> None:
    resource = _one(adapter)
    assert resource.idle and resource.state is ResourceState.RUNNING
    assert resource.extra["mode"] == "components"
    (result,) = adapter.apply([Decision(resource, Action.SCALE_DOWN, "idle")], dry_run=False)
    assert result.outcome is Outcome.DONE
    assert fake.copies == {"llama": 0, "mistral": 0}
    resource = _one(adapter)
    assert resource.state is ResourceState.SCALED_DOWN and not resource.idle
    (result,) = adapter.apply([Decision(resource, Action.SCALE_UP, "wake")], dry_run=False)
    assert result.outcome is Outcome.DONE, result.error
    assert fake.copies == {"llama": 2, "mistral": 1}
    assert _one(adapter).state is ResourceState.RUNNING
    assert fake.actions <= set(SageMakerEndpoints.permissions)


def test_a_partial_scale_down_keeps_every_count_to_restore(
    fake: FakeAws, adapter: SageMakerEndpoints
) -> None:
    fake.refuse = {"mistral"}
    (result,) = adapter.apply([Decision(_one(adapter), Action.SCALE_DOWN, "idle")], False)
    assert result.outcome is Outcome.FAILED and "mistral: ThrottlingException" in result.error
    assert fake.copies == {"llama": 0, "mistral": 1}
    # Half down is reported down, so the start side restores it (retried if it fails).
    resource = _one(adapter)
    assert resource.state is ResourceState.SCALED_DOWN
    fake.refuse = set()
    adapter.apply([Decision(resource, Action.SCALE_UP, "on")], dry_run=False)
    assert fake.copies == {"llama": 2, "mistral": 1}


def test_a_young_endpoint_is_not_judged_idle(fake: FakeAws, adapter: SageMakerEndpoints) -> None:
    fake.created = at(0, 10, 0) - timedelta(minutes=90)  # younger than its 2h window
    assert not _one(adapter).idle


def test_an_endpoint_whose_component_application_auto_scaling_manages_is_left_alone(
    fake: FakeAws, adapter: SageMakerEndpoints
) -> None:
    """Application Auto Scaling User Guide, "Application Auto Scaling concepts": a copy
    count set below the scalable target's minimum is raised back to it when a policy runs,
    so scaling the component to 0 would not hold; the endpoint is skipped with the reason."""
    fake.scaled = {"mistral"}
    resource = _one(adapter)
    assert resource.unmanaged_reason.startswith(
        "Application Auto Scaling manages inference component mistral:"
    )
    assert not resource.idle
    assert fake.copies == {"llama": 2, "mistral": 1}
