"""What offhours itself costs: its runs' billable calls at the clouds' list prices.

Pure: counts in, dollars out. The counts are a run's meter (``providers/metering.py``)
plus the platform's own (function invocations, their memory-time, Step Functions state
transitions); the arithmetic for a whole fleet is in ``docs/own-cost.md``.

List prices: AWS us-east-1, GCP us-central1 (regional Standard storage), Azure East US
(Hot LRS), read from each pricing page on 2026-12-07, USD, before any free tier (free
tiers are per account and shared with everything else in it, so they are left out: the
figure is what offhours adds to a bill that already uses them up). A price change is one
line of ``PRICES``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

PRICED_AT = "2026-12-07"
REGIONS = "AWS us-east-1, GCP us-central1, Azure East US"


@dataclass(frozen=True)
class ListPrice:
    usd: float  # per ``per`` units
    per: int
    unit: str
    source: str

    def of(self, quantity: float) -> float:
        return quantity * self.usd / self.per


_S3 = "https://aws.amazon.com/s3/pricing/ (S3 Standard, requests)"
_LAMBDA = "https://aws.amazon.com/lambda/pricing/ (x86)"
_SFN = "https://aws.amazon.com/step-functions/pricing/ (Standard workflows)"
_CW = "https://aws.amazon.com/cloudwatch/pricing/ (API requests)"
_SES = "https://aws.amazon.com/ses/pricing/ (outbound email)"
_GCS = "https://cloud.google.com/storage/pricing (Standard, regional operations)"
_GCM = "https://cloud.google.com/stackdriver/pricing (Monitoring API reads)"
_BLOB = "https://azure.microsoft.com/pricing/details/storage/blobs/ (Hot, LRS)"
_AZM = "https://azure.microsoft.com/pricing/details/monitor/ (metrics queries)"

PRICES: dict[str, ListPrice] = {
    "s3.class_a": ListPrice(0.005, 1_000, "PUT, COPY, POST, LIST requests", _S3),
    "s3.class_b": ListPrice(0.0004, 1_000, "GET, HEAD and other requests", _S3),
    "gcs.class_a": ListPrice(0.005, 1_000, "Class A operations (insert, list)", _GCS),
    "gcs.class_b": ListPrice(0.0004, 1_000, "Class B operations (get)", _GCS),
    "azblob.write": ListPrice(0.065, 10_000, "write operations", _BLOB),
    "azblob.list": ListPrice(0.065, 10_000, "list and create container operations", _BLOB),
    "azblob.read": ListPrice(0.005, 10_000, "read operations", _BLOB),
    "lambda.requests": ListPrice(0.20, 1_000_000, "requests", _LAMBDA),
    "lambda.gb_seconds": ListPrice(0.0000166667, 1, "GB-seconds", _LAMBDA),
    "sfn.transitions": ListPrice(0.025, 1_000, "state transitions", _SFN),
    "cloudwatch.metrics": ListPrice(0.01, 1_000, "metrics requested by GetMetricData", _CW),
    "cloudwatch.requests": ListPrice(0.01, 1_000, "ListMetrics requests", _CW),
    "ses.messages": ListPrice(0.10, 1_000, "emails (one per recipient)", _SES),
    "monitoring.series": ListPrice(0.50, 1_000_000, "time series returned", _GCM),
    # Counted per resource in a metrics:getBatch call: an upper bound if a batch of up
    # to 50 resources is billed as one query.
    "azure_monitor.queries": ListPrice(0.01, 1_000, "metric queries", _AZM),
}

# Counter name -> priced unit, whatever the store.
_FIXED = {
    "lambda_invocations": "lambda.requests",
    "sfn_transitions": "sfn.transitions",
    "cloudwatch_metrics_requested": "cloudwatch.metrics",
    "cloudwatch_list_metrics": "cloudwatch.requests",
    "ses_messages": "ses.messages",
    "monitoring_series_returned": "monitoring.series",
    "azure_metrics_resources": "azure_monitor.queries",
}
# Store counters -> priced unit, by the store's URL scheme. Deletes are free on all three;
# a local directory costs nothing.
_STORES: dict[str, dict[str, str]] = {
    "s3": {"store_writes": "s3.class_a", "store_lists": "s3.class_a", "store_reads": "s3.class_b"},
    "gs": {
        "store_writes": "gcs.class_a",
        "store_lists": "gcs.class_a",
        "store_reads": "gcs.class_b",
    },
    "azblob": {
        "store_writes": "azblob.write",
        "store_lists": "azblob.list",
        "store_reads": "azblob.read",
    },
}
# A Lambda's memory-time, kept as an integer: billed milliseconds x configured MB.
LAMBDA_MB_MS = "lambda_mb_ms"


@dataclass(frozen=True)
class Charge:
    price: str  # a key of PRICES
    quantity: float
    usd: float


def units(counts: Mapping[str, int], store: str) -> dict[str, float]:
    """Counters of one run (or a sum of runs on one store) -> priced units."""
    found: dict[str, float] = {}
    by_store = _STORES.get(store, {})
    for name, count in counts.items():
        price = _FIXED.get(name) or by_store.get(name)
        if price:
            found[price] = found.get(price, 0.0) + count
    if counts.get(LAMBDA_MB_MS):
        found["lambda.gb_seconds"] = counts[LAMBDA_MB_MS] / 1024 / 1000
    return found


def charges(counts: Mapping[str, int], store: str) -> list[Charge]:
    """Each priced unit with its cost, dearest first."""
    found = [Charge(k, q, PRICES[k].of(q)) for k, q in units(counts, store).items()]
    return sorted(found, key=lambda c: (-c.usd, c.price))


def cost(counts: Mapping[str, int], store: str) -> float:
    return sum(c.usd for c in charges(counts, store))


def lambda_mb_ms(seconds: float, memory_mb: int) -> int:
    """Lambda bills duration rounded up to the millisecond, times the configured memory."""
    return -(-int(seconds * 1_000_000) // 1000) * memory_mb


# The Map's batch size when the deployment does not set one (template.yaml's
# MapMaxItemsPerBatch, Terraform's map_max_items_per_batch).
ITEMS_PER_BATCH = 50


def fan_out_children(state: Mapping[str, Any], targets: int, items_per_batch: int) -> int:
    """Child executions a Map state starts over ``targets`` items: one per item, or one per
    batch with an ``ItemBatcher`` (its own ``MaxItemsPerBatch``, else the deployment's
    ``items_per_batch``, which its ``MaxItemsPerBatchPath`` reads)."""
    batcher = state.get("ItemBatcher")
    if not batcher:
        return targets
    size = int(batcher.get("MaxItemsPerBatch") or items_per_batch)
    return -(-targets // max(1, size))


def fan_out_transitions(
    definition: Mapping[str, Any], targets: int, items_per_batch: int = ITEMS_PER_BATCH
) -> int:
    """State transitions of one execution of the fan-out state machine
    (``infra/aws/state-machine.asl.json``) over ``targets``: every top-level state once,
    every state of a Map's item processor once per child execution (retries add more)."""
    return _per_execution(definition, targets, items_per_batch, lambda _: True)


def fan_out_invocations(
    definition: Mapping[str, Any], targets: int, items_per_batch: int = ITEMS_PER_BATCH
) -> int:
    """Lambda invocations of one execution: its ``lambda:invoke`` tasks, a Map's once per
    child execution (retries add more)."""
    return _per_execution(
        definition,
        targets,
        items_per_batch,
        lambda state: str(state.get("Resource", "")).endswith(":lambda:invoke"),
    )


def _per_execution(
    definition: Mapping[str, Any],
    targets: int,
    items_per_batch: int,
    counts: Callable[[Mapping[str, Any]], bool],
) -> int:
    total = 0
    for state in definition.get("States", {}).values():
        total += counts(state)
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if state.get("Type") == "Map" and processor:
            children = fan_out_children(state, targets, items_per_batch)
            total += children * _per_execution(processor, 1, items_per_batch, counts)
    return total


def monthly(per_run: Mapping[str, int], runs_per_day: int = 96, days: int = 30) -> dict[str, int]:
    """One run's counters scaled to a month of runs."""
    return {name: count * runs_per_day * days for name, count in per_run.items()}
