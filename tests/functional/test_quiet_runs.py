"""A run that changes nothing writes nothing: the state object is read, compared with
what the run would write, and left alone (``functions/jobs/quiet.py``).

Driven through the real job: moto's EC2 and the ledger in moto's S3 (``S3Store``), every
S3 call counted where botocore builds it (``before-parameter-build.s3``: the API
operation and its ``Key``; boto3's event system, documented in botocore's
"Events" guide). S3 bills GetObject/PutObject per request (``docs/`` has the prices).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.jobs.reconcile import Job, RunReport, reconcile
from functions.settings import Settings
from functions.wiring import build_job, connect
from ledger.book import read_records
from ledger.run_state import TargetState, state_key
from providers.aws.s3_store import S3Store
from sandbox.aws_fleet import Box, instance_states, launch, set_launch_time

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)  # office-hours in UTC: Mon-Fri 08:00-19:00
ACCOUNT = "123456789012"
KEY = state_key("aws", ACCOUNT, "eu-west-1")
BUCKET = "offhours-ledger"


def at(hour: int, minute: int = 0) -> datetime:
    return MONDAY + timedelta(hours=hour, minutes=minute)


class S3Calls:
    """S3 requests by (operation, what the key is): ``state``, ``ledger`` or ``other``."""

    def __init__(self) -> None:
        self.calls: Counter[tuple[str, str]] = Counter()

    def __call__(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        key = str(params.get("Key", ""))
        what = "state" if key.endswith("run-state.json") else "other"
        what = "ledger" if key.startswith("ledger/") else what
        self.calls[(model.name, what)] += 1

    def take(self) -> Counter[tuple[str, str]]:
        taken, self.calls = self.calls, Counter()
        return taken


@pytest.fixture
def s3(aws: None) -> tuple[S3Store, S3Calls]:
    import boto3

    client = boto3.client("s3", region_name="eu-west-1")
    client.create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    calls = S3Calls()
    client.meta.events.register("before-parameter-build.s3.*", calls)
    return S3Store(f"s3://{BUCKET}", client=client), calls


@pytest.fixture
def job(ec2: Any, s3: tuple[S3Store, S3Calls], clock: Any) -> Job:
    settings = Settings(providers=("aws",), ledger=f"s3://{BUCKET}").replace(
        aws_regions=("eu-west-1",), kinds=("ec2",)
    )
    connections = {"aws": connect(settings, "aws")}
    return replace(build_job(settings, clock, connections, store=s3[0]), max_workers=1)


def run(job: Job, clock: Any, when: datetime) -> RunReport:
    clock.now = when
    report = reconcile(job)
    assert report.errors == []
    return report


def fleet(ec2: Any, n: int, started: datetime) -> dict[str, str]:
    """Instance id -> name of ``n`` office-hours boxes launched at ``started``."""
    names = [f"dev-{i}" for i in range(n)]
    ids = {
        launch(ec2, Box(name, "t3.medium", {"schedule": "office-hours"})): name for name in names
    }
    for rid in ids:
        set_launch_time(rid, started)
    return ids


def state(store: S3Store) -> TargetState:
    data = store.get(KEY)
    assert data is not None
    return TargetState.from_json(data)


def test_a_quiet_run_reads_the_state_once_and_writes_nothing(
    ec2: Any, s3: tuple[S3Store, S3Calls], job: Job, clock: Any
) -> None:
    store, calls = s3
    fleet(ec2, 3, MONDAY - timedelta(days=3))
    run(job, clock, at(9))  # the target's first run: its state is written
    written = store.read(KEY)
    assert calls.take()[("PutObject", "state")] == 1

    for minute in (15, 30, 45):
        run(job, clock, at(9, minute))
        counted = calls.take()
        assert counted[("GetObject", "state")] == 1
        assert counted[("PutObject", "state")] == 0
        assert counted[("PutObject", "ledger")] == 0
    assert store.read(KEY).version == written.version
    assert set(instance_states(ec2).values()) == {"running"}
    assert state(store).last_run == at(9)

    run(job, clock, at(10))  # an hour on: last_run moves, so it never lags further
    assert calls.take()[("PutObject", "state")] == 1
    assert state(store).last_run == at(10)


def test_a_night_writes_at_the_stop_and_at_each_hourly_checkpoint_only(
    ec2: Any, s3: tuple[S3Store, S3Calls], job: Job, clock: Any
) -> None:
    store, calls = s3
    ids = fleet(ec2, 3, MONDAY - timedelta(days=3))
    run(job, clock, at(18, 45))
    calls.take()
    run(job, clock, at(19))
    assert set(instance_states(ec2).values()) == {"stopped"}
    assert calls.take()[("PutObject", "state")] == 3  # intents, booking, pending cleared
    for minute in (15, 30, 45):
        run(job, clock, at(19, minute))
        assert calls.take()[("PutObject", "state")] == 0
    run(job, clock, at(20))  # the hourly still-off checkpoint: the state and a ledger object
    counted = calls.take()
    assert counted[("PutObject", "state")] == 2
    assert counted[("PutObject", "ledger")] == 1
    still_off = [r for r in read_records(store) if r["x_Action"] == "still-off"]
    assert {r["ResourceId"] for r in still_off} == set(ids)
    assert {r["ChargePeriodEnd"] for r in still_off} == {"2026-11-23T20:00:00Z"}
    assert set(state(store).off) == {f"aws/{ACCOUNT}/eu-west-1/ec2/{rid}" for rid in ids}


def test_a_run_at_a_transition_writes_even_when_it_changes_nothing(
    ec2: Any, s3: tuple[S3Store, S3Calls], job: Job, clock: Any
) -> None:
    """The 08:00 run finds every box already running (started by hand at 07:40, inside
    the grace period): nothing to start, but the on-transition is now behind the target.
    Someone stops a box at 08:05; the 08:15 run must leave it off (DESIGN: the start
    side acts only at transitions). Had the 08:00 run kept last_run at 07:45, 08:15
    would take 08:00 for a new transition and start it."""
    store, calls = s3
    ids = fleet(ec2, 2, at(7, 40))
    run(job, clock, at(7, 45))
    run(job, clock, at(8))
    assert calls.take()[("PutObject", "state")] == 2
    assert state(store).last_run == at(8)
    stopped, name = next(iter(ids.items()))
    ec2.stop_instances(InstanceIds=[stopped])

    report = run(job, clock, at(8, 15))

    assert instance_states(ec2) == {n: "stopped" if n == name else "running" for n in ids.values()}
    reason = next(d.reason for d in report.decisions if d.resource.id == stopped)
    assert "left off" in reason
