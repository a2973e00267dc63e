"""The Step Functions fan-out in batches: the real Lambda handler on moto, driven with the
payloads the shipped state machine (``infra/aws/state-machine.asl.json``) sends.

``sandbox/step_functions.py`` evaluates the definition's own templates as the AWS Step
Functions Developer Guide describes them: "ItemBatcher (Map)" (the items cut into batches
of ``MaxItemsPerBatch``, read here from ``MaxItemsPerBatchPath``; each child execution's
input is ``{"Items": [...], "BatchInput": {...}}``), and the child Task's JSONPath payload
template turning that into the handler's ``{"scheduled_time", "targets"}``. Outcomes are
the instances' final states, the ledger objects and the deferred-targets object.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from functions.jobs.reconcile import DEFERRED_KEY
from providers.store import LocalStore
from sandbox.aws_fleet import Box, instance_states, launch
from sandbox.step_functions import FanOut, substitute

STATE_MACHINE = Path(__file__).parents[2] / "infra" / "aws" / "state-machine.asl.json"
REGIONS = ("eu-west-1", "us-east-1", "eu-central-1")
ACCOUNT = "123456789012"
EVENING = "2026-11-23T20:00:00Z"  # a Monday, office-hours off


@dataclass
class LambdaContext:
    seconds_left: float = 600.0
    function_name: str = "offhours-scheduler"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:offhours"
    aws_request_id: str = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return int(self.seconds_left * 1000)


def machine(per_batch: int) -> FanOut:
    """The definition as deployed with ``MapMaxItemsPerBatch=per_batch``."""
    values = {
        "SchedulerFunctionArn": LambdaContext.invoked_function_arn,
        "MapMaxConcurrency": "10",
        "MapMaxItemsPerBatch": str(per_batch),
        "Partition": "aws",
    }
    return FanOut(substitute(STATE_MACHINE.read_text(), values))


@pytest.fixture
def fleet(aws: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, Any]:
    """One office-hours box per region, a protected one in the first region."""
    clients = {region: boto3.client("ec2", region_name=region) for region in REGIONS}
    for region, client in clients.items():
        launch(client, Box(f"dev-{region}", "t3.medium", {"schedule": "office-hours"}))
    launch(
        clients[REGIONS[0]],
        Box("prod", "t3.medium", {"schedule": "office-hours", "environment": "prod"}),
    )
    monkeypatch.setenv("OFFHOURS_LEDGER", str(tmp_path))
    monkeypatch.setenv("OFFHOURS_AWS_REGIONS", ",".join(REGIONS))
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "offhours")
    return clients


def states(clients: dict[str, Any]) -> dict[str, str]:
    return {name: state for c in clients.values() for name, state in instance_states(c).items()}


def deferred_names(tmp_path: Path) -> list[str]:
    data = LocalStore(tmp_path).get(DEFERRED_KEY)
    return json.loads(data) if data else []


def test_each_batch_is_one_invocation_over_its_targets(
    fleet: dict[str, Any], tmp_path: Path
) -> None:
    from functions.clouds.aws_lambda import handler

    fan_out = machine(per_batch=2)
    listed = handler(fan_out.listing_event({"scheduled_time": EVENING}), LambdaContext())
    events = fan_out.child_events(listed)
    assert [[t["region"] for t in e["targets"]] for e in events] == [
        list(REGIONS[:2]),
        [REGIONS[2]],
    ]
    assert {e["scheduled_time"] for e in events} == {EVENING}

    answers = [handler(event, LambdaContext()) for event in events]
    assert [a["actions"] for a in answers] == [{"stop-done": 2}, {"stop-done": 1}]
    assert [(a["errors"], a["deferred"]) for a in answers] == [([], []), ([], [])]
    assert [a["calls"]["lambda_invocations"] for a in answers] == [1, 1]
    assert states(fleet) == {f"dev-{r}": "stopped" for r in REGIONS} | {"prod": "running"}
    objects = sorted(tmp_path.glob(f"ledger/v1/provider=aws/account={ACCOUNT}/date=*/*.jsonl.gz"))
    assert len(objects) == 3  # one per target, whichever batch ran it
    rows = [
        json.loads(line) for o in objects for line in gzip.decompress(o.read_bytes()).splitlines()
    ]
    assert sorted((r["ResourceName"], r["x_Action"], r["x_Outcome"]) for r in rows) == [
        (f"dev-{r}", "stop", "done") for r in sorted(REGIONS)
    ]


def test_a_batch_short_of_time_defers_its_targets_and_keeps_the_others(
    fleet: dict[str, Any], tmp_path: Path
) -> None:
    """A child with less than the job's per-target minimum (60 s) left starts none of its
    targets: they are deferred as a whole-fleet run defers them, in the answer and in the
    deferred-targets object, and a later batch over other targets keeps them there."""
    from functions.clouds.aws_lambda import handler

    fan_out = machine(per_batch=2)
    listed = handler(fan_out.listing_event({"scheduled_time": EVENING}), LambdaContext())
    first, second = fan_out.child_events(listed)

    late = handler(first, LambdaContext(seconds_left=59.0))
    assert late["actions"] == {}
    assert late["deferred"] == [f"aws:{ACCOUNT}/{r}" for r in REGIONS[:2]]
    assert handler(second, LambdaContext())["actions"] == {"stop-done": 1}
    assert deferred_names(tmp_path) == sorted(f"aws:{ACCOUNT}/{r}" for r in REGIONS[:2])
    assert states(fleet)[f"dev-{REGIONS[0]}"] == "running"

    retried = handler(first, LambdaContext())  # the next run's batch, in time
    assert retried["actions"] == {"stop-done": 2} and retried["deferred"] == []
    assert deferred_names(tmp_path) == []
    assert states(fleet) == {f"dev-{r}": "stopped" for r in REGIONS} | {"prod": "running"}


class RacingStore(LocalStore):
    """A real local store where another batch saves its deferred targets between this
    batch's read and its conditional write, once."""

    def __init__(self, root: Path, other: Any) -> None:
        super().__init__(root)
        self.other = other

    def put_if(self, key: str, data: bytes, version: str) -> str:
        if self.other is not None:
            other, self.other = self.other, None
            other()
        return super().put_if(key, data, version)


def test_batches_saving_side_by_side_keep_each_others_deferred_targets(tmp_path: Path) -> None:
    """Compare-and-swap on the deferred-targets object: the batch that lost the race reads
    again and adds its names to the other's."""
    from functions.jobs.reconcile import _save_deferred
    from providers.base import Target

    a, b = Target("aws", ACCOUNT, "eu-west-1"), Target("aws", ACCOUNT, "us-east-1")
    plain = LocalStore(tmp_path)
    racing = RacingStore(tmp_path, lambda: _save_deferred(plain, [b], [b]))
    _save_deferred(racing, [a], [a])
    assert deferred_names(tmp_path) == sorted([str(a), str(b)])
    _save_deferred(plain, [], [a])  # a's batch, next time in time
    assert deferred_names(tmp_path) == [str(b)]
