"""Cloud Monitoring gauge series in the GCP fake: what ``projects.timeSeries.list`` answers
for VM utilisation (Cloud Monitoring API v3, https://cloud.google.com/monitoring/api/ref_v3/rest/v3/projects.timeSeries/list).

- ``agent.googleapis.com/gpu/utilization``: the Ops Agent's per-GPU utilisation, percent
  (GAUGE, DOUBLE), metric labels ``gpu_number``, ``model``, ``uuid``
  (https://cloud.google.com/monitoring/api/metrics_opsagent#agent-gpu);
- ``agent.googleapis.com/gpu/processes/utilization``: one process's utilisation over its
  lifetime, percent (GAUGE, DOUBLE), labels ``pid``, ``owner``, ``command_line``,
  ``gpu_number``, ``model``, ``uuid`` (same page);
- ``compute.googleapis.com/instance/cpu/utilization``: a fraction 0-1 (GAUGE, DOUBLE), metric
  label ``instance_name`` (https://cloud.google.com/monitoring/api/metrics_gcp_c).

Both on the ``gce_instance`` monitored resource (labels ``project_id``, ``instance_id``,
``zone``). Answers are aligned as asked (``aggregation.alignmentPeriod`` with
``ALIGN_MAX``/``ALIGN_MEAN``), points newest first, one ``interval`` per aligned point.
``metric.labels.K = "v"`` terms select series by metric label; ``aggregation.crossSeriesReducer``
(``REDUCE_MAX``/``REDUCE_MIN``/``REDUCE_MEAN``) with ``aggregation.groupByFields`` combines the
aligned series of each group into one, keeping only the grouped labels (the reference's
``Aggregation``: "reduces the aligned time series ... the output has only the labels in
groupByFields"); a reducer needs an aligner, as the real API requires.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sandbox.gcp_fake.world import ApiError, Json, rfc3339

GAUGE_TYPES = (
    "agent.googleapis.com/gpu/utilization",
    "compute.googleapis.com/instance/cpu/utilization",
    # A process's lifetime utilisation (percent), labels pid, owner, command_line, gpu_number.
    "agent.googleapis.com/gpu/processes/utilization",
)
_ALIGNERS = {"ALIGN_MAX": max, "ALIGN_MEAN": lambda v: sum(v) / len(v), "ALIGN_MIN": min}
_REDUCERS = {"REDUCE_MAX": max, "REDUCE_MEAN": lambda v: sum(v) / len(v), "REDUCE_MIN": min}


@dataclass
class Gauge:
    project: str
    metric_type: str
    resource: Mapping[str, str]
    labels: Mapping[str, str]
    points: list[tuple[datetime, float]] = field(default_factory=list)


def answer(
    gauges: list[Gauge],
    project: str,
    terms: Mapping[str, str],
    query: Mapping[str, str],
    wanted: Mapping[str, set[str]] | None = None,
) -> Json:
    """``terms``: ``field = value`` terms; ``wanted``: ``field = one_of(...)`` terms."""
    start = _time(query.get("interval.startTime", ""))
    end = _time(query["interval.endTime"])
    period = _seconds(query.get("aggregation.alignmentPeriod", "60s"))
    aligner = _ALIGNERS.get(query.get("aggregation.perSeriesAligner", "ALIGN_MAX"))
    if aligner is None:
        raise ApiError(400, "Unsupported perSeriesAligner for a GAUGE DOUBLE metric.")
    series = []
    for gauge in gauges:
        if gauge.project != project or gauge.metric_type != terms["metric.type"]:
            continue
        if any(
            gauge.resource.get(k.removeprefix("resource.labels.")) != v
            for k, v in terms.items()
            if k.startswith("resource.labels.")
        ):
            continue
        if any(
            gauge.resource.get(k.removeprefix("resource.labels.")) not in v
            for k, v in (wanted or {}).items()
            if k.startswith("resource.labels.")
        ):
            continue
        if any(
            gauge.labels.get(k.removeprefix("metric.labels.")) != v
            for k, v in terms.items()
            if k.startswith("metric.labels.")
        ):
            continue
        points = _aligned(gauge.points, start, end, period, aligner)
        if points:
            series.append(_series(gauge, points, period))
    series = _reduced(series, query, period)
    return {"timeSeries": series, "unit": _unit(terms["metric.type"])} if series else {}


def _reduced(series: list[Json], query: Mapping[str, str], period: int) -> list[Json]:
    name = query.get("aggregation.crossSeriesReducer", "REDUCE_NONE")
    if name == "REDUCE_NONE":
        return series
    reducer = _REDUCERS.get(name)
    if reducer is None:
        raise ApiError(400, f"Unsupported crossSeriesReducer {name!r} for a GAUGE DOUBLE metric.")
    fields = [f for f in query.get("aggregation.groupByFields", "").split(",") if f]
    groups: dict[tuple[str, ...], list[Json]] = {}
    for item in series:
        key = tuple(str(_label(item, f)) for f in fields)
        groups.setdefault(key, []).append(item)
    out = []
    for key, members in groups.items():
        values: dict[str, list[float]] = {}
        for item in members:
            for point in item["points"]:
                values.setdefault(point["interval"]["endTime"], []).append(
                    point["value"]["doubleValue"]
                )
        kept = dict(zip(fields, key, strict=True))
        points = [
            {
                "interval": {
                    "startTime": rfc3339(_time(end) - timedelta(seconds=period)),
                    "endTime": end,
                },
                "value": {"doubleValue": reducer(v)},  # type: ignore[operator]
            }
            for end, v in sorted(values.items(), reverse=True)
        ]
        first = members[0]
        out.append(
            {
                "metric": {"type": first["metric"]["type"], "labels": _kept(kept, "metric")},
                "resource": {"type": first["resource"]["type"], "labels": _kept(kept, "resource")},
                "metricKind": "GAUGE",
                "valueType": "DOUBLE",
                "points": points,
            }
        )
    return out


def _label(item: Json, field: str) -> object:
    kind, _, name = field.partition(".labels.")
    return item.get(kind, {}).get("labels", {}).get(name)


def _kept(kept: Mapping[str, str], kind: str) -> dict[str, str]:
    prefix = f"{kind}.labels."
    return {k.removeprefix(prefix): v for k, v in kept.items() if k.startswith(prefix)}


def _aligned(
    points: list[tuple[datetime, float]],
    start: datetime,
    end: datetime,
    period: int,
    aligner: object,
) -> list[tuple[datetime, float]]:
    buckets: dict[datetime, list[float]] = {}
    step = timedelta(seconds=period)
    for at, value in points:
        if start < at <= end:  # an interval is (startTime, endTime]
            n = math.ceil((at - start) / step)
            buckets.setdefault(start + n * step, []).append(value)
    return [(b, aligner(v)) for b, v in sorted(buckets.items(), reverse=True)]  # type: ignore[operator]


def _series(gauge: Gauge, points: list[tuple[datetime, float]], period: int) -> Json:
    return {
        "metric": {"type": gauge.metric_type, "labels": dict(gauge.labels)},
        "resource": {"type": "gce_instance", "labels": dict(gauge.resource)},
        "metricKind": "GAUGE",
        "valueType": "DOUBLE",
        "points": [
            {
                "interval": {
                    "startTime": rfc3339(at - timedelta(seconds=period)),
                    "endTime": rfc3339(at),
                },
                "value": {"doubleValue": value},
            }
            for at, value in points
        ],
    }


def _unit(metric_type: str) -> str:
    return "%" if metric_type.startswith("agent.") else "10^2.%"


def _time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, f"Invalid interval time {text!r}") from None


def _seconds(text: str) -> int:
    if not text.endswith("s") or not text[:-1].isdigit() or int(text[:-1]) < 60:
        raise ApiError(400, "The alignment period must be at least 60s.")
    return int(text[:-1])


def put_utilisation(
    world: object,
    project: str,
    zone: str,
    name: str,
    start: datetime,
    minutes: int,
    profile: object,
    gpus: int = 0,
    skip: tuple[tuple[datetime, datetime], ...] = (),
) -> None:
    """One point a minute from ``start``: per GPU (``profile(at, gpu)`` percent) when
    ``gpus``, else the VM's CPU (``profile(at, 0)`` percent, stored as a fraction)."""
    instance = world.get_instance(project, zone, name)  # type: ignore[attr-defined]
    resource = {"project_id": project, "instance_id": instance["id"], "zone": zone}
    devices = range(gpus) if gpus else range(1)
    made = []
    for device in devices:
        if gpus:
            labels = {"gpu_number": str(device), "model": "NVIDIA L4", "uuid": f"GPU-{device}"}
            gauge = Gauge(project, GAUGE_TYPES[0], resource, labels)
        else:
            gauge = Gauge(project, GAUGE_TYPES[1], resource, {"instance_name": name})
        for m in range(minutes):
            at = start + timedelta(minutes=m)
            if any(a <= at < b for a, b in skip):
                continue
            value = profile(at, device)  # type: ignore[operator]
            gauge.points.append((at, value if gpus else value / 100.0))
        made.append(gauge)
    with world.lock:  # type: ignore[attr-defined]
        world.gauges.extend(made)  # type: ignore[attr-defined]


def put_gpu_process(
    world: object,
    project: str,
    zone: str,
    name: str,
    start: datetime,
    minutes: int,
    command_line: str,
    percent: float,
    gpu: int = 0,
    pid: int = 4242,
) -> None:
    """One process on one GPU of VM ``name``, seen every minute from ``start``, reporting
    ``percent`` as its lifetime utilisation."""
    instance = world.get_instance(project, zone, name)  # type: ignore[attr-defined]
    resource = {"project_id": project, "instance_id": instance["id"], "zone": zone}
    labels = {
        "pid": str(pid),
        "owner": "jupyter",
        "command_line": command_line,
        "gpu_number": str(gpu),
        "model": "NVIDIA L4",
        "uuid": f"GPU-{gpu}",
    }
    gauge = Gauge(project, GAUGE_TYPES[2], resource, labels)
    gauge.points = [(start + timedelta(minutes=m), percent) for m in range(minutes)]
    with world.lock:  # type: ignore[attr-defined]
        world.gauges.append(gauge)  # type: ignore[attr-defined]
