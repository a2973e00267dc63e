"""GPU and CPU utilisation of SageMaker notebook instances from CloudWatch, for the idle rule.

SageMaker publishes no utilisation metric for notebook instances (its CloudWatch metrics
cover endpoints, jobs and pipelines; ``/aws/sagemaker/NotebookInstances`` is the log group
of lifecycle configurations, not a metrics namespace). A notebook has a signal only where
its owner runs the CloudWatch agent from a lifecycle configuration, as AWS's sample
``publish-instance-metrics`` does: the agent's metrics with the dimension
``notebook_instance_name`` appended (the sample's namespace is ``SageMakerNotebookInstances``;
any namespace is found, since ``ListMetrics`` is asked without one):

- GPU: ``nvidia_smi_utilization_gpu`` (percent), one series per GPU (dimension ``index``),
  read with ``Maximum``;
- CPU: ``cpu_usage_idle`` (percent idle) of the ``cpu-total`` series, read with ``Minimum``:
  the busiest minute is 100 minus the least idle one.

One ``ListMetrics`` listing per signal and target (500 series a page) finds each notebook's
series by their exact dimensions; one ``GetMetricData`` per 500 series reads them. A
notebook without series is "unknown" with a sentence saying what to publish.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from providers.aws.instance_types import is_accelerated
from providers.aws.utilisation import PERMISSIONS as CLOUDWATCH_PERMISSIONS
from providers.aws.utilisation import Calls
from providers.base import AdapterOptions, Resource, Target
from providers.idle_check import (
    MetricsUnavailable,
    Want,
    judge_target,
)
from providers.idle_rule import ALL_DEVICES, Measurement, Rule, Series, Signal
from providers.metering import add_calls

PERMISSIONS = CLOUDWATCH_PERMISSIONS
NOTEBOOK_DIMENSION = "notebook_instance_name"
GPU_METRIC = "nvidia_smi_utilization_gpu"
CPU_METRIC = "cpu_usage_idle"
NOT_PUBLISHED = (
    "SageMaker publishes no utilisation for notebook instances: run the CloudWatch agent "
    f"from a lifecycle configuration with append_dimensions {NOTEBOOK_DIMENSION}"
)
_METRICS = {Signal.GPU: GPU_METRIC, Signal.CPU: CPU_METRIC}
_STATS = {Signal.GPU: "Maximum", Signal.CPU: "Minimum"}
_STEP = timedelta(minutes=1)  # the agent's default collection interval
_MAX_QUERIES = 500
_MAX_POINTS = 100_800


@dataclass(frozen=True)
class _Query:
    notebook: str
    device: str
    namespace: str
    dimensions: tuple[tuple[str, str], ...]


def measure(
    cloudwatch: Any, wants: Sequence[Want], now: datetime, calls: Calls | None = None
) -> dict[str, Measurement]:
    """Notebook name (``Want.resource_id``) -> what CloudWatch holds over its window."""
    calls = calls if calls is not None else Calls()
    found: dict[str, list[Series]] = {w.resource_id: [] for w in wants}
    for signal in sorted({w.signal for w in wants}):
        names = {w.resource_id for w in wants if w.signal is signal}
        listed = _listed(cloudwatch, signal, names, calls)
        by_rule: dict[Rule, list[_Query]] = {}
        for want in wants:
            if want.signal is signal:
                by_rule.setdefault(want.rule, []).extend(listed.get(want.resource_id, ()))
        for rule, queries in by_rule.items():
            for query, points in _read(cloudwatch, signal, queries, rule, now, calls):
                found[query.notebook].append(Series(query.device, points))
    return {w.resource_id: Measurement(w.signal, found[w.resource_id], _STEP) for w in wants}


def _listed(
    cloudwatch: Any, signal: Signal, names: set[str], calls: Calls
) -> dict[str, list[_Query]]:
    """Notebook name -> its series of the signal, in whichever namespace the agent uses."""
    out: dict[str, list[_Query]] = {}
    pages = cloudwatch.get_paginator("list_metrics").paginate(
        MetricName=_METRICS[signal],
        Dimensions=[{"Name": NOTEBOOK_DIMENSION}],
        RecentlyActive="PT3H",
    )
    for page in pages:
        calls.list_metrics += 1
        for metric in page["Metrics"]:
            dims = tuple((d["Name"], d["Value"]) for d in metric["Dimensions"])
            named = dict(dims)
            notebook = named.get(NOTEBOOK_DIMENSION, "")
            if notebook not in names or named.get("cpu", "cpu-total") != "cpu-total":
                continue  # the CPU rule reads the total, not each core
            device = named.get("index", "cpu" if signal is Signal.CPU else ALL_DEVICES)
            query = _Query(notebook, device, metric["Namespace"], dims)
            if query not in out.get(notebook, ()):
                out.setdefault(notebook, []).append(query)
    # An agent with ``aggregation_dimensions: [["notebook_instance_name"]]`` also publishes one
    # series over all GPUs: its Maximum is the busiest GPU's, at a fraction of the cost.
    return {
        name: [q for q in found if q.device == ALL_DEVICES] or found for name, found in out.items()
    }


def _read(
    cloudwatch: Any,
    signal: Signal,
    queries: list[_Query],
    rule: Rule,
    now: datetime,
    calls: Calls,
) -> Iterable[tuple[_Query, list[tuple[datetime, float]]]]:
    size = max(1, min(_MAX_QUERIES, _MAX_POINTS // max(1, int(rule.window / _STEP))))
    for start in range(0, len(queries), size):
        ids = {f"n{i}": q for i, q in enumerate(queries[start : start + size])}
        calls.get_metric_data += 1
        calls.metrics_requested += len(ids)
        values: dict[str, list[tuple[datetime, float]]] = {qid: [] for qid in ids}
        pages = cloudwatch.get_paginator("get_metric_data").paginate(
            MetricDataQueries=[_request(qid, q, signal) for qid, q in ids.items()],
            StartTime=rule.start(now),
            EndTime=rule.end(now),
        )
        for page in pages:
            for result in page["MetricDataResults"]:
                pairs = zip(result["Timestamps"], result["Values"], strict=True)
                values[result["Id"]].extend((at, _percent(signal, v)) for at, v in pairs)
        for qid, query in ids.items():
            yield query, values[qid]


def _percent(signal: Signal, value: float) -> float:
    """Busy percent: the agent's CPU metric is the idle share."""
    return 100.0 - float(value) if signal is Signal.CPU else float(value)


def _request(query_id: str, query: _Query, signal: Signal) -> dict[str, Any]:
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {
                "Namespace": query.namespace,
                "MetricName": _METRICS[signal],
                "Dimensions": [{"Name": k, "Value": v} for k, v in query.dimensions],
            },
            "Period": int(_STEP.total_seconds()),
            "Stat": _STATS[signal],
        },
        "ReturnData": True,
    }


def mark_idle(
    connection: Any, options: AdapterOptions, target: Target, resources: list[Resource]
) -> list[Resource]:
    """The idle pass of one region's notebooks (GPU ones by GPU unless tagged otherwise)."""
    tagged = [r for r in resources if options.idle_tag_key in r.tags]
    if not tagged:
        return resources
    marked = [replace(r, accelerator=r.accelerator or is_accelerated(r.size)) for r in tagged]
    cloudwatch = connection.client("cloudwatch", target)
    now = options.clock()

    def read(wants: Sequence[Want]) -> Mapping[str, Measurement]:
        from botocore.exceptions import BotoCoreError, ClientError

        calls = Calls()
        try:
            return measure(cloudwatch, wants, now, calls)
        except (BotoCoreError, ClientError) as err:
            raise MetricsUnavailable(str(err)) from err
        finally:
            add_calls(options.meter, "cloudwatch", calls)

    judged = judge_target(options, target, marked, now, read)
    return [_explained(judged[r.key]) if r.key in judged else r for r in resources]


def _explained(resource: Resource) -> Resource:
    if resource.idle_note.startswith("idle unknown: no "):
        return replace(resource, idle_note=f"{resource.idle_note} ({NOT_PUBLISHED})")
    return resource
