"""Every cloud entry point budgets time one way: the job gets what the platform still gives
the invocation, with no margin kept back by the entry point; the job itself starts no
target with less than ``Job.min_seconds_per_target`` (60 s) left and keeps
``FINISH_MARGIN`` of each apply's wait to book what it did (README, "Time budget").

Driven through the real entry points: the Lambda handler on moto with a context that
says how much time is left, and the Azure Functions app on the local ARM fake with
``OFFHOURS_TIMEOUT_SECONDS`` (the Cloud Function is in tests/gcp/test_gcp_main.py). Just
under the per-target minimum every target is deferred and nothing is touched; just over
it the run acts (before, the Azure app kept 60 s more than the others and deferred it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from functions.clouds import azure_function_app
from functions.clouds.entry import invocation_limit, time_left
from functions.jobs.reconcile import DEFERRED_KEY
from functions.settings import Settings
from providers.store import LocalStore
from sandbox.aws_fleet import Box, instance_states, launch

SUBSCRIPTION = "00000000-0000-0000-0000-0000000000bb"


@dataclass
class LambdaContext:
    seconds_left: float
    function_name: str = "offhours-scheduler"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:offhours"
    aws_request_id: str = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return int(self.seconds_left * 1000)


@dataclass
class Timer:
    past_due: bool = False


class Ticker:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_time_left_counts_the_platform_limit_down_from_the_start() -> None:
    ticker = Ticker()
    left = time_left(540.0, ticker)
    assert left() == 540.0  # nothing kept back by the entry point
    ticker.now += 100.5
    assert left() == 439.5


def test_the_timeout_setting_replaces_the_platform_limit() -> None:
    assert invocation_limit(Settings(), 540.0) == 540.0
    assert (
        invocation_limit(Settings.from_sources({}, {"OFFHOURS_TIMEOUT_SECONDS": "300"}), 540) == 300
    )


def test_the_azure_limit_is_host_json_function_timeout() -> None:
    host = json.loads((Path(azure_function_app.__file__).parent / "host.json").read_text())
    hours, minutes, seconds = (int(p) for p in host["functionTimeout"].split(":"))
    assert hours * 3600 + minutes * 60 + seconds == azure_function_app.FUNCTION_TIMEOUT_S


@pytest.mark.parametrize(("seconds_left", "deferred"), [(59.0, True), (61.0, False)])
def test_lambda_defers_targets_only_below_the_jobs_own_minimum(
    ec2: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, seconds_left: float, deferred: bool
) -> None:
    launch(ec2, Box("dev", "t3.medium", {"schedule": "office-hours"}))
    monkeypatch.setenv("OFFHOURS_LEDGER", str(tmp_path))
    monkeypatch.setenv("OFFHOURS_AWS_REGIONS", "eu-west-1")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "offhours")
    from functions.clouds.aws_lambda import handler

    result = handler({"scheduled_time": "2026-11-23T20:00:00Z"}, LambdaContext(seconds_left))
    if deferred:
        assert result["deferred"] == ["aws:123456789012/eu-west-1"]
        assert instance_states(ec2) == {"dev": "running"}
    else:
        assert result["deferred"] == [] and result["actions"] == {"stop-done": 1}
        assert instance_states(ec2) == {"dev": "stopped"}


@pytest.mark.parametrize(("timeout", "deferred"), [("59", True), ("61", False)])
def test_azure_app_defers_targets_only_below_the_jobs_own_minimum(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, timeout: str, deferred: bool
) -> None:
    from sandbox.azure_fake import start_azure_fake

    with start_azure_fake() as fake:
        fake.add_subscription(SUBSCRIPTION, "test")
        fake.add_vm(
            SUBSCRIPTION,
            "rg",
            "parked",
            "Standard_D2s_v5",
            "westeurope",
            {"schedule": "always-off"},
        )
        for name, value in {
            "OFFHOURS_PROVIDERS": "azure",
            "OFFHOURS_AZURE_ENDPOINT_URL": fake.url,
            "OFFHOURS_AZURE_SUBSCRIPTIONS": SUBSCRIPTION,
            "OFFHOURS_LEDGER": str(tmp_path),
            "OFFHOURS_TIMEOUT_SECONDS": timeout,
            **fake.credential_env(),
        }.items():
            monkeypatch.setenv(name, value)
        # The timer function as the host calls it (``app.get_functions()`` may run once
        # per process only).
        azure_function_app.scheduler._function.get_user_function()(Timer())
        state = fake.vm("parked").power_state
    saved = LocalStore(tmp_path).get(DEFERRED_KEY)
    if deferred:
        assert state == "running"
        assert saved is not None and json.loads(saved) == [f"azure:{SUBSCRIPTION}"]
    else:
        assert state == "deallocated"
        assert saved is None
