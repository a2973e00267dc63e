"""GPU and CPU utilisation of EC2 instances (and SageMaker notebooks, where the CloudWatch
agent publishes for them) from CloudWatch, for the idle rule (``providers/idle_rule.py``).

- GPU: the CloudWatch agent's ``nvidia_smi_utilization_gpu`` (namespace ``CWAgent`` unless
  the agent is configured otherwise), one series per GPU (dimension ``index``) with the
  instance in ``InstanceId`` (the agent's ``append_dimensions``). The agent may add more
  dimensions (``name``, ``arch``, ``host``), and CloudWatch matches dimension sets exactly,
  so the series are found with ``ListMetrics`` (500 per page, filtered to the instance
  dimension and to recently active metrics) and then read by their exact dimensions.
- CPU: ``AWS/EC2`` ``CPUUtilization`` by ``InstanceId`` (5-minute points under basic
  monitoring, so a 5-minute step).

Reads are batched: one ``GetMetricData`` per up to 500 series and 100,800 datapoints, per
window length. The statistic is ``Maximum``: the rule wants the busiest minute, not the mean.
``GetMetricData`` is billed per metric requested (not per datapoint), so what saves money
is asking for fewer series: the combined series where the agent publishes it, else the
one GPU busy at the last look (``Want.probe``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from providers.aws.instance_types import is_accelerated
from providers.base import AdapterOptions, Resource, Target
from providers.idle_check import (
    MetricsUnavailable,
    Want,
    judge_target,
)
from providers.idle_rule import ALL_DEVICES, Measurement, Rule, Series, Signal
from providers.metering import add_calls

PERMISSIONS = ("cloudwatch:ListMetrics", "cloudwatch:GetMetricData")
AGENT_NAMESPACE = "CWAgent"
GPU_METRIC = "nvidia_smi_utilization_gpu"
CPU_NAMESPACE = "AWS/EC2"
CPU_METRIC = "CPUUtilization"
INSTANCE_DIMENSION = "InstanceId"
GPU_DIMENSION = "index"
_MAX_QUERIES = 500
_MAX_POINTS = 100_800
# The agent's default collection interval is 60 s; EC2 basic monitoring publishes every 5 min.
_STEPS = {Signal.GPU: timedelta(minutes=1), Signal.CPU: timedelta(minutes=5)}


@dataclass(frozen=True)
class Ask:
    """One instance to measure: which signal, over which window."""

    instance_id: str
    signal: Signal
    rule: Rule
    # Read this GPU alone (``Want.probe``): the one busy at the last look.
    probe: str = ""


@dataclass
class Calls:
    """What one read cost: CloudWatch bills ``GetMetricData`` per metric requested."""

    list_metrics: int = 0
    get_metric_data: int = 0
    metrics_requested: int = 0


@dataclass(frozen=True)
class _Query:
    instance_id: str
    device: str
    signal: Signal
    dimensions: tuple[tuple[str, str], ...]


def measure(
    cloudwatch: Any,
    asks: Sequence[Ask],
    now: datetime,
    namespace: str = AGENT_NAMESPACE,
    calls: Calls | None = None,
) -> dict[str, Measurement]:
    """Instance id -> what CloudWatch holds for its signal over its window."""
    calls = calls if calls is not None else Calls()
    gpu_ids = {a.instance_id for a in asks if a.signal is Signal.GPU}
    gpu_series = _gpu_series(cloudwatch, namespace, gpu_ids, calls) if gpu_ids else {}
    found: dict[str, list[Series]] = {a.instance_id: [] for a in asks}
    # One read per window and signal: thresholds differ per resource, the read does not.
    by_span: dict[tuple[timedelta, timedelta, Signal], tuple[Rule, list[_Query]]] = {}
    partial: set[str] = set()
    for ask in asks:
        span = (ask.rule.window, ask.rule.lag, ask.signal)
        queries = _queries(ask, gpu_series)
        by_span.setdefault(span, (ask.rule, []))[1].extend(queries)
        if ask.probe not in ("", ALL_DEVICES) and any(q.device == ask.probe for q in queries):
            partial.add(ask.instance_id)
    for (_, _, signal), (rule, queries) in by_span.items():
        step = _STEPS[signal]
        ns = namespace if signal is Signal.GPU else CPU_NAMESPACE
        for query, points in _read(cloudwatch, queries, ns, rule, step, now, calls):
            found[query.instance_id].append(Series(query.device, points))
    return {
        a.instance_id: Measurement(
            a.signal, found[a.instance_id], _STEPS[a.signal], partial=a.instance_id in partial
        )
        for a in asks
    }


def _queries(ask: Ask, gpu_series: Mapping[str, list[tuple[tuple[str, str], ...]]]) -> list[_Query]:
    if ask.signal is Signal.CPU:
        dims = ((INSTANCE_DIMENSION, ask.instance_id),)
        return [_Query(ask.instance_id, "cpu", Signal.CPU, dims)]
    listed = gpu_series.get(ask.instance_id, ())
    # An agent configured with ``aggregation_dimensions: [["InstanceId"]]`` also publishes one
    # series over all GPUs (no ``index``): its Maximum is the busiest GPU's, at a quarter or
    # an eighth of the metrics billed. Read that one alone where it exists.
    combined = [d for d in listed if GPU_DIMENSION not in dict(d)]
    probed = [d for d in listed if ask.probe and dict(d).get(GPU_DIMENSION) == ask.probe]
    return [
        _Query(ask.instance_id, dict(dims).get(GPU_DIMENSION, ALL_DEVICES), Signal.GPU, dims)
        for dims in (combined[:1] or probed or listed)
    ]


def _gpu_series(
    cloudwatch: Any, namespace: str, instance_ids: set[str], calls: Calls
) -> dict[str, list[tuple[tuple[str, str], ...]]]:
    """Instance id -> the dimension set of each of its GPU series (one ListMetrics page
    per 500 series of the whole account and region, not one call per instance)."""
    series: dict[str, list[tuple[tuple[str, str], ...]]] = {}
    pages = cloudwatch.get_paginator("list_metrics").paginate(
        Namespace=namespace,
        MetricName=GPU_METRIC,
        Dimensions=[{"Name": INSTANCE_DIMENSION}],
        RecentlyActive="PT3H",
    )
    for page in pages:
        calls.list_metrics += 1
        for metric in page["Metrics"]:
            # Asked for exactly as listed (the order CloudWatch gave them).
            dims = tuple((d["Name"], d["Value"]) for d in metric["Dimensions"])
            instance = dict(dims).get(INSTANCE_DIMENSION, "")
            known = {tuple(sorted(d)) for d in series.get(instance, ())}
            if instance in instance_ids and tuple(sorted(dims)) not in known:
                series.setdefault(instance, []).append(dims)
    return series


def _read(
    cloudwatch: Any,
    queries: list[_Query],
    namespace: str,
    rule: Rule,
    step: timedelta,
    now: datetime,
    calls: Calls,
) -> Iterable[tuple[_Query, list[tuple[datetime, float]]]]:
    period = int(step.total_seconds())
    points = max(1, int(rule.window / step))
    size = max(1, min(_MAX_QUERIES, _MAX_POINTS // points))
    for start in range(0, len(queries), size):
        batch = queries[start : start + size]
        ids = {f"q{i}": q for i, q in enumerate(batch)}
        request = [_request(qid, q, namespace, period) for qid, q in ids.items()]
        calls.get_metric_data += 1
        calls.metrics_requested += len(request)
        values: dict[str, list[tuple[datetime, float]]] = {qid: [] for qid in ids}
        pages = cloudwatch.get_paginator("get_metric_data").paginate(
            MetricDataQueries=request, StartTime=rule.start(now), EndTime=rule.end(now)
        )
        for page in pages:
            for result in page["MetricDataResults"]:
                pairs = zip(result["Timestamps"], result["Values"], strict=True)
                values[result["Id"]].extend((at, float(v)) for at, v in pairs)
        for qid, query in ids.items():
            yield query, values[qid]


def _request(query_id: str, query: _Query, namespace: str, period: int) -> dict[str, Any]:
    metric = GPU_METRIC if query.signal is Signal.GPU else CPU_METRIC
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {
                "Namespace": namespace,
                "MetricName": metric,
                "Dimensions": [{"Name": k, "Value": v} for k, v in query.dimensions],
            },
            "Period": period,
            "Stat": "Maximum",
        },
        "ReturnData": True,
    }


def mark_idle(
    connection: Any, options: AdapterOptions, target: Target, resources: list[Resource]
) -> list[Resource]:
    """The idle pass of one discovery page: measure the idle-tagged running instances
    (accelerated ones by GPU unless tagged otherwise) and mark those the rule finds idle."""
    tagged = [r for r in resources if options.idle_tag_key in r.tags]
    if not tagged:
        return resources
    marked = {
        r.key: replace(r, accelerator=r.accelerator or is_accelerated(r.size)) for r in tagged
    }
    cloudwatch = connection.client("cloudwatch", target)

    def read(wants: Sequence[Want]) -> Mapping[str, Measurement]:
        from botocore.exceptions import BotoCoreError, ClientError

        calls = Calls()
        try:
            asks = [Ask(w.resource_id, w.signal, w.rule, w.probe) for w in wants]
            return measure(cloudwatch, asks, now, calls=calls)
        except (BotoCoreError, ClientError) as err:
            raise MetricsUnavailable(str(err)) from err
        finally:
            add_calls(options.meter, "cloudwatch", calls)

    now = options.clock()
    judged = judge_target(options, target, list(marked.values()), now, read)
    return [judged.get(r.key, r) for r in resources]
