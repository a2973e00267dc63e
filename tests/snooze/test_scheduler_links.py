"""The scheduler's notices carry snooze links signed with the key the stack's secret holds."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
from snooze_kit import KEY, query_of, resource

from functions.clouds.aws_lambda import snooze_links
from functions.jobs.snooze.tokens import verify
from functions.settings import Settings

STOP = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)
CHANNELS = ("web=email:web@example.com",)


def test_links_are_signed_with_the_key_read_from_secrets_manager(aws, monkeypatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    secret = boto3.client("secretsmanager", region_name="eu-west-1").create_secret(
        Name="offhours-snooze-key", SecretString=KEY.decode()
    )
    settings = Settings(
        notice_channels=CHANNELS,
        snooze_url="https://snooze.example",
        snooze_key_secret=secret["ARN"],
    )
    links = snooze_links(settings)
    assert links is not None
    (label, url), *_ = links(resource("ec2", "i-0abc"), STOP)
    assert label == "keep running 1 h"
    assert verify(query_of(url)["t"], KEY, STOP).resource_id == "i-0abc"


def test_an_unreadable_key_costs_the_links_not_the_run(aws, monkeypatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    settings = Settings(
        notice_channels=CHANNELS, snooze_url="https://snooze.example", snooze_key_secret="nope"
    )
    assert snooze_links(settings) is None


def test_a_weak_key_is_never_used_to_sign(aws, monkeypatch) -> None:
    """Issue 22: a secret of 32 spaces was accepted as the signing key."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    client = boto3.client("secretsmanager", region_name="eu-west-1")
    for n, weak in enumerate((" " * 32, "a" * 40, "ab" * 20)):
        secret = client.create_secret(Name=f"weak-{n}", SecretString=weak)
        settings = Settings(
            notice_channels=CHANNELS,
            snooze_url="https://snooze.example",
            snooze_key_secret=secret["ARN"],
        )
        assert snooze_links(settings) is None, weak


def test_no_links_without_notices_or_a_snooze_function() -> None:
    assert snooze_links(Settings(snooze_url="https://s.example", snooze_key_secret="k")) is None
    assert snooze_links(Settings(notice_channels=CHANNELS)) is None
