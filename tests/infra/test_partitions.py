"""ARNs follow the partition (aws, aws-us-gov, aws-cn): no literal ``arn:aws:`` in the
code, the templates or the modules, and the member role offhours assumes is named in the
partition STS reports for the identity it runs as."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from infra_kit import ROOT

LITERAL = re.compile(r"arn:aws:")


def sources() -> list[Path]:
    code = [p for d in ("providers", "functions") for p in (ROOT / d).rglob("*.py")]
    templates = [ROOT / "template.yaml", *sorted((ROOT / "infra" / "aws").glob("*"))]
    modules = sorted((ROOT / "infra" / "terraform").rglob("*.tf"))
    return [p for p in [*code, *templates, *modules] if p.is_file()]


def test_no_literal_aws_partition() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sources()
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if LITERAL.search(line)
    ]
    assert not found, found


@pytest.mark.parametrize(
    ("region", "partition"),
    [("eu-west-1", "aws"), ("us-gov-west-1", "aws-us-gov"), ("cn-north-1", "aws-cn")],
)
def test_member_role_arn_is_in_the_callers_partition(region: str, partition: str) -> None:
    import boto3
    from moto import mock_aws

    from providers.aws.connection import connect
    from providers.base import ProviderConfig

    with mock_aws():
        session = boto3.Session(
            region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        connection = connect(ProviderConfig(role_name="offhours-member"), session=session)
        arn = connection.role_arn("111122223333", "offhours-member")
    assert arn == f"arn:{partition}:iam::111122223333:role/offhours-member"
