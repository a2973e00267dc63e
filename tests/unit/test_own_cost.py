"""offhours' own bill: counters priced at the list prices in ``functions/jobs/own_cost.py``.

Prices as published on each pricing page (AWS us-east-1, GCP us-central1, Azure East US,
read 2026-12-07): S3 Standard $0.005 per 1,000 PUT/COPY/POST/LIST and $0.0004 per 1,000
GET; Lambda $0.20 per million requests and $0.0000166667 per GB-second; Step Functions
Standard $0.025 per 1,000 state transitions; CloudWatch GetMetricData $0.01 per 1,000
metrics requested.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from functions.jobs import own_cost

ASL = Path(__file__).parents[2] / "infra" / "aws" / "state-machine.asl.json"


@pytest.mark.parametrize(
    ("counts", "store", "usd"),
    [
        ({}, "s3", 0.0),
        ({"store_writes": 1000}, "s3", 0.005),
        ({"store_lists": 1000}, "s3", 0.005),  # LIST is billed with PUT on S3
        ({"store_reads": 1000}, "s3", 0.0004),
        ({"store_deletes": 1000}, "s3", 0.0),  # DELETE is free
        ({"store_writes": 1000, "store_reads": 1000}, "gs", 0.0054),
        ({"store_writes": 10_000, "store_lists": 10_000}, "azblob", 0.13),
        ({"store_reads": 10_000}, "azblob", 0.005),
        ({"store_writes": 1_000_000}, "file", 0.0),  # a local directory costs nothing
        ({"cloudwatch_metrics_requested": 1000, "cloudwatch_list_metrics": 1000}, "s3", 0.02),
        ({"sfn_transitions": 1000}, "s3", 0.025),
        ({"lambda_invocations": 1_000_000}, "s3", 0.20),
        ({"lambda_mb_ms": 1024 * 1000}, "s3", 0.0000166667),  # one GB-second
        ({"ses_messages": 1000}, "s3", 0.10),
        ({"monitoring_series_returned": 1_000_000}, "gs", 0.50),
        ({"azure_metrics_resources": 1000}, "azblob", 0.01),
        ({"function_invocations": 5, "store_reads_typo": 9}, "s3", 0.0),  # unpriced: 0
    ],
)
def test_counts_at_list_price(counts: dict[str, int], store: str, usd: float) -> None:
    assert own_cost.cost(counts, store) == pytest.approx(usd)


def test_the_issues_figure_a_state_write_per_target_per_run() -> None:
    """852 targets, 96 runs a day, 30 days: ~2.5M PUTs, about $12 (issue 28)."""
    month = own_cost.monthly({"store_writes": 852})
    assert month == {"store_writes": 2_453_760}
    assert own_cost.cost(month, "s3") == pytest.approx(12.27, abs=0.01)


def test_charges_are_listed_dearest_first() -> None:
    found = own_cost.charges({"store_reads": 1000, "store_writes": 1000}, "s3")
    assert [(c.price, c.quantity) for c in found] == [("s3.class_a", 1000), ("s3.class_b", 1000)]


@pytest.mark.parametrize(
    ("seconds", "memory_mb", "mb_ms"),
    [(0.0, 512, 0), (0.0001, 512, 512), (1.0, 512, 512_000), (1.0004, 1024, 1001 * 1024)],
)
def test_lambda_duration_is_rounded_up_to_the_millisecond(
    seconds: float, memory_mb: int, mb_ms: int
) -> None:
    assert own_cost.lambda_mb_ms(seconds, memory_mb) == mb_ms


@pytest.mark.parametrize(
    ("targets", "per_batch", "transitions", "invocations"),
    [
        (0, 50, 2, 1),  # ListTargets and the Map; no child execution
        (50, 50, 3, 2),
        (51, 50, 4, 3),  # a second, partial batch
        (852, 50, 20, 19),  # 18 batches: docs/own-cost.md's fan-out figures
        (852, 1, 854, 853),  # one target per child, as before the ItemBatcher
    ],
)
def test_fan_out_counts_come_from_the_shipped_state_machine(
    targets: int, per_batch: int, transitions: int, invocations: int
) -> None:
    """ListTargets and the Map once per execution, the Map's RunTargets once per batch of
    ``MaxItemsPerBatchPath`` targets (the deployment's MapMaxItemsPerBatch)."""
    definition = json.loads(ASL.read_text())
    assert own_cost.fan_out_transitions(definition, targets, per_batch) == transitions
    assert own_cost.fan_out_invocations(definition, targets, per_batch) == invocations


def test_a_month_of_the_batched_fan_out_at_852_targets() -> None:
    """96 executions a day for 30 days at the default 50 targets a batch: 57,600 transitions
    ($0.025 per 1,000) and 54,720 Lambda requests ($0.20 per million)."""
    definition = json.loads(ASL.read_text())
    month = own_cost.monthly(
        {
            "sfn_transitions": own_cost.fan_out_transitions(definition, 852),
            "lambda_invocations": own_cost.fan_out_invocations(definition, 852),
        }
    )
    assert month == {"sfn_transitions": 57_600, "lambda_invocations": 54_720}
    assert own_cost.cost(month, "s3") == pytest.approx(1.44 + 0.010944)


def test_a_map_batch_size_of_its_own_and_a_map_without_a_batcher() -> None:
    """A literal ``MaxItemsPerBatch`` is the batch size whatever the deployment says; a Map
    without an ``ItemBatcher`` starts one child per item (Step Functions Developer Guide,
    "ItemBatcher (Map)")."""
    task = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True}
    processor = {"StartAt": "T", "States": {"T": task}}
    batched = {"Type": "Map", "ItemBatcher": {"MaxItemsPerBatch": 10}, "ItemProcessor": processor}
    single = {"Type": "Map", "ItemProcessor": processor}
    assert own_cost.fan_out_transitions({"States": {"M": batched}}, 95, 50) == 1 + 10
    assert own_cost.fan_out_transitions({"States": {"M": single}}, 95, 50) == 1 + 95
    assert own_cost.fan_out_invocations({"States": {"M": single}}, 95, 50) == 95


def test_every_price_names_its_source() -> None:
    for name, price in own_cost.PRICES.items():
        assert price.source.startswith("https://"), name
        assert price.usd > 0 and price.per > 0, name
