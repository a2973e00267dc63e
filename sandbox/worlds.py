"""The embedded clouds of ``offhours demo``, one context manager per provider.

Each world starts its cloud (moto in-process, or a local fake on loopback), seeds the demo
fleet, and yields the settings that point offhours at it plus the things people do during
the simulated week (events keyed by instant).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

Event = Callable[[], None]


@dataclass
class World:
    provider: str
    settings: dict[str, Any]
    events: dict[datetime, list[Event]] = field(default_factory=dict)


WorldFactory = Callable[[Callable[[], datetime], datetime], Any]


@contextmanager
def aws_world(clock: Callable[[], datetime], monday: datetime) -> Iterator[World]:
    import boto3
    from moto import mock_aws

    from sandbox import aws_fleet, idle_demo
    from sandbox.aws_edges import seed_edges
    from sandbox.aws_limits import documented_limits
    from sandbox.aws_more import sagemaker_follows, seed_demo_more, seed_window_and_pair

    with mock_aws(), sagemaker_follows(clock), documented_limits():
        region = aws_fleet.DEMO_REGION
        ec2 = boto3.client("ec2", region_name=region)
        ids = aws_fleet.seed(ec2, aws_fleet.demo_fleet(monday), monday - timedelta(days=3))
        # Databases, a group, a service, notebooks and endpoints.
        seed_demo_more(boto3.Session(region_name=region), region, monday)
        # What AWS will not stop, or what is scheduled through another API.
        seed_edges(boto3.Session(region_name=region), aws_fleet.DEMO_ACCOUNT, region)
        # The idle pair: one GPU box nobody uses from Wednesday 14:00, one training all week.
        idle_demo.seed_aws(ec2, boto3.client("cloudwatch", region_name=region), monday)
        # A box patched in an SSM maintenance window, and a database with its app.
        seed_window_and_pair(boto3.Session(region_name=region), region, monday)
        yield World("aws", {"aws_regions": (region,)}, _aws_people(ec2, ids, monday))


def _aws_people(ec2: Any, ids: dict[str, str], monday: datetime) -> dict[datetime, list[Event]]:
    """What people do during the week, outside offhours."""
    from sandbox import aws_fleet

    def start_by_hand(name: str, at: datetime) -> Event:
        def act() -> None:
            ec2.start_instances(InstanceIds=[ids[name]])
            aws_fleet.set_launch_time(ids[name], at)

        return act

    def stop_by_hand(name: str) -> Event:
        return lambda: ec2.stop_instances(InstanceIds=[ids[name]])

    tuesday_night = monday + timedelta(days=1, hours=21, minutes=5)
    return {
        # Someone needs night-owl late on Tuesday: offhours lets it run for the grace period.
        tuesday_night.replace(minute=15): [start_by_hand("night-owl", tuesday_night)],
        # Alice stops her box at lunch on Wednesday: offhours does not start it again.
        monday + timedelta(days=2, hours=12): [stop_by_hand("dev-alice")],
        # dev-dana is stop-only: Dana starts it on Tuesday morning, and again on Wednesday
        # at 21:00 for a late fix, which offhours leaves running until Thursday's stop.
        monday + timedelta(days=1, hours=8, minutes=30): [
            start_by_hand("dev-dana", monday + timedelta(days=1, hours=8, minutes=30))
        ],
        monday + timedelta(days=2, hours=21): [
            start_by_hand("dev-dana", monday + timedelta(days=2, hours=21))
        ],
    }


@contextmanager
def environ(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration (the clouds' credential chains read
    them, as they would on a real machine), then put the old values back."""
    old = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in old.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def gcp_world(clock: Callable[[], datetime], monday: datetime) -> Iterator[World]:
    from sandbox import idle_demo
    from sandbox.gcp_fake import start_gcp_fake
    from sandbox.gcp_fake.demo import DEMO_PROJECT, ZONE, seed_demo_project

    with (
        start_gcp_fake(clock=clock) as fake,
        tempfile.TemporaryDirectory(prefix="offhours-gcp-") as keys,
        environ(fake.credential_env(Path(keys), DEMO_PROJECT)),
    ):
        seed_demo_project(fake)
        idle_demo.seed_gcp(fake, DEMO_PROJECT, ZONE, monday)
        yield World("gcp", {"gcp_projects": (DEMO_PROJECT,), "gcp_endpoint_url": fake.url})


@contextmanager
def azure_world(clock: Callable[[], datetime], monday: datetime) -> Iterator[World]:
    from sandbox import idle_demo
    from sandbox.azure_fake import start_azure_fake
    from sandbox.azure_fake.demo import DEMO_REGION, DEMO_SUBSCRIPTION, seed_demo_subscription

    with start_azure_fake(clock=clock) as fake, environ(fake.credential_env()):
        seed_demo_subscription(fake)
        idle_demo.seed_azure(fake, DEMO_SUBSCRIPTION, DEMO_REGION, monday)
        yield World(
            "azure",
            {"azure_subscriptions": (DEMO_SUBSCRIPTION,), "azure_endpoint_url": fake.url},
        )


WORLDS: dict[str, WorldFactory] = {"aws": aws_world, "gcp": gcp_world, "azure": azure_world}
