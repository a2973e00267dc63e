"""Fixtures for the AWS kind tests. Every test that uses ``calls`` also checks, at the
end, that each adapter only made API calls inside its declared ``permissions``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# aws_kit (beside this file) is imported by bare name, whichever import mode pytest runs in.
sys.path.insert(0, str(Path(__file__).parent))

from aws_kit import ACCOUNT, REGION, CallLog


@pytest.fixture
def calls() -> Iterator[CallLog]:
    log = CallLog()
    yield log
    assert log.undeclared() == {}, "API calls outside the declared permissions"


@pytest.fixture
def clients(aws: None) -> Any:
    import boto3

    class Clients:
        def __getattr__(self, service: str) -> Any:
            client = boto3.client(service, region_name=REGION)
            setattr(self, service, client)
            return client

    return Clients()


@pytest.fixture
def sagemaker(clients: Any, clock: Any) -> Iterator[Any]:
    """A SageMaker model to serve, and endpoints that go through Creating/Deleting on the
    test's clock as SageMaker's do (moto's settle at once)."""
    from sandbox.aws_more import sagemaker_follows

    clients.sagemaker.create_model(
        ModelName="scorer",
        ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/sm",
        PrimaryContainer={"Image": f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/scorer:1"},
    )
    with sagemaker_follows(clock):
        yield clients.sagemaker
