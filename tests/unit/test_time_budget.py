"""The apply deadline: each connection's own wait, cut to what the job has left less the
margin it keeps to write the finish (the job-level test against the GCP fake is
tests/gcp/test_gcp_time_budget.py)."""

from __future__ import annotations

from typing import Any

import pytest

from functions.cli.main import build_parser
from functions.cli.run import _time_left
from providers.apply import Budget, apply_deadline
from providers.aws.connection import AwsConnection
from providers.azure.connection import AzureConnection
from providers.base import ProviderConfig
from providers.gcp.connection import GcpConnection


class Ticker:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_the_shorter_of_the_connection_wait_and_the_budget_less_its_margin() -> None:
    ticker = Ticker()
    assert apply_deadline(240.0, None, ticker, ticker.sleep).remaining() == 240.0
    roomy = Budget(lambda: 900.0, margin=30.0)
    assert apply_deadline(240.0, roomy, ticker, ticker.sleep).remaining() == 240.0
    tight = Budget(lambda: 100.0, margin=30.0)
    assert apply_deadline(240.0, tight, ticker, ticker.sleep).remaining() == 70.0
    spent = Budget(lambda: -5.0, margin=30.0)
    assert apply_deadline(240.0, spent, ticker, ticker.sleep).remaining() == 0.0


def _connections(ticker: Ticker) -> list[Any]:
    config = ProviderConfig()
    return [
        GcpConnection(config, operation_timeout=240.0, monotonic=ticker, sleep=ticker.sleep),
        AzureConnection(config, credential=None, lro_timeout=240.0, monotonic=ticker),
        AwsConnection(config, session=None, operation_timeout=240.0, monotonic=ticker),
    ]


@pytest.mark.parametrize("index", [0, 1, 2], ids=["gcp", "azure", "aws"])
def test_every_cloud_connection_cuts_its_wait_to_the_job_budget(index: int) -> None:
    ticker = Ticker()
    connection = _connections(ticker)[index]
    assert connection.deadline().remaining() == 240.0
    left = [120.0]
    connection.budget = Budget(lambda: left[0], margin=30.0)
    assert connection.deadline().remaining() == 90.0
    left[0] = 40.0  # read again when the next apply starts
    assert connection.deadline().remaining() == 10.0


def test_time_budget_flag_counts_down_from_the_start_of_the_run() -> None:
    args = build_parser().parse_args(["run", "--time-budget", "90"])
    assert args.time_budget == 90.0
    time_left = _time_left(args.time_budget)
    assert time_left is not None and 0 < time_left() <= 90.0
    assert _time_left(None) is None


@pytest.mark.parametrize("value", ["0", "-3", "soon", "inf", "nan"])
def test_time_budget_flag_refuses_what_is_not_a_positive_number(value: str) -> None:
    with pytest.raises(SystemExit) as exit_:
        build_parser().parse_args(["run", "--time-budget", value])
    assert exit_.value.code == 2
