"""Is an inference endpoint idle? CloudWatch ``AWS/SageMaker`` ``Invocations`` summed
over every variant (and inference component) for the endpoint's own window.

The window comes from the opt-in tag (``idle-stop=60m``, ``2h``, ``1d``; a bare number is
minutes). No datapoint means no invocation. Endpoints sharing a window are asked in one
``get_metric_data`` call (up to 500 queries and 100,800 datapoints per call).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

PERMISSIONS = ("cloudwatch:GetMetricData",)
NAMESPACE = "AWS/SageMaker"
_MAX_QUERIES = 500
_MAX_POINTS = 100_800


@dataclass(frozen=True)
class Watch:
    """One endpoint to measure: each entry of ``dimensions`` is one metric to sum."""

    endpoint: str
    window: timedelta
    dimensions: Sequence[Mapping[str, str]]


def invocations(cloudwatch: Any, watches: Sequence[Watch], now: datetime) -> dict[str, float]:
    """Endpoint name -> invocations over its window ending at ``now``."""
    totals = {w.endpoint: 0.0 for w in watches}
    by_window: dict[timedelta, list[Watch]] = {}
    for watch in watches:
        by_window.setdefault(watch.window, []).append(watch)
    for window, group in by_window.items():
        period = _period(window)
        queries = [
            (watch.endpoint, _query(f"q{i}_{j}", dims, period))
            for i, watch in enumerate(group)
            for j, dims in enumerate(watch.dimensions)
        ]
        points = max(1, int(window.total_seconds()) // period)
        size = max(1, min(_MAX_QUERIES, _MAX_POINTS // points))
        for start in range(0, len(queries), size):
            batch = queries[start : start + size]
            sums = _sums(cloudwatch, [q for _, q in batch], now - window, now)
            for endpoint, query in batch:
                totals[endpoint] += sums.get(query["Id"], 0.0)
    return totals


def _period(window: timedelta) -> int:
    seconds = int(window.total_seconds())
    if seconds <= 3 * 3600:
        return 60
    return 300 if seconds <= 86400 else 3600


def _query(query_id: str, dimensions: Mapping[str, str], period: int) -> dict[str, Any]:
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {
                "Namespace": NAMESPACE,
                "MetricName": "Invocations",
                "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
            },
            "Period": period,
            "Stat": "Sum",
        },
        "ReturnData": True,
    }


def _sums(
    cloudwatch: Any, queries: list[dict[str, Any]], start: datetime, end: datetime
) -> dict[str, float]:
    sums: dict[str, float] = {}
    pages = cloudwatch.get_paginator("get_metric_data").paginate(
        MetricDataQueries=queries, StartTime=start, EndTime=end
    )
    for page in pages:
        for result in page["MetricDataResults"]:
            sums[result["Id"]] = sums.get(result["Id"], 0.0) + float(sum(result["Values"]))
    return sums
