"""GPU and CPU utilisation of Compute Engine VMs from Cloud Monitoring, for the idle rule.

- GPU: the Ops Agent's ``agent.googleapis.com/gpu/utilization`` (percent, one series per
  ``gpu_number``);
- CPU: ``compute.googleapis.com/instance/cpu/utilization`` (a fraction, so x 100).

Both on the ``gce_instance`` monitored resource, matched by ``resource.labels.instance_id``
(the VM's numeric id). One ``projects.timeSeries.list`` (paged) per project, metric, window
length and 100 VMs due a look (``resource.labels.instance_id = one_of(...)``), aligned to
60 s with ``ALIGN_MAX``: the busiest minute, not the mean.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from providers.base import AdapterOptions, Resource, Target
from providers.gcp import rest
from providers.idle_check import (
    MetricsUnavailable,
    Want,
    judge_target,
)
from providers.idle_rule import ALL_DEVICES, Measurement, Rule, Series, Signal
from providers.metering import add_calls

PERMISSIONS = ("monitoring.timeSeries.list",)
GPU_METRIC = "agent.googleapis.com/gpu/utilization"
CPU_METRIC = "compute.googleapis.com/instance/cpu/utilization"
_STEP = timedelta(minutes=1)
# Instances named per request (``one_of``): only the due ones' series are returned (reads
# are billed by the series returned), in filters well under Monitoring's length limit.
_PER_REQUEST = 100
_METRICS = {Signal.GPU: GPU_METRIC, Signal.CPU: CPU_METRIC}
# GAUGE values: the GPU metric is in percent, the CPU one a fraction of 1.
_SCALE = {Signal.GPU: 1.0, Signal.CPU: 100.0}


@dataclass
class Calls:
    """What one read cost: Cloud Monitoring bills reads by the time series returned."""

    requests: int = 0
    series_returned: int = 0


def measure(
    session: Any,
    base_url: str,
    project: str,
    wants: Sequence[Want],
    now: datetime,
    calls: Calls | None = None,
) -> dict[str, Measurement]:
    """Numeric instance id (``Want.resource_id``) -> what Monitoring holds over its window.

    A probe (``Want.probe``) asks for less and says so (``Measurement.partial``): the
    busiest GPU minute by minute (``REDUCE_MAX`` over the VM's GPUs, one series instead of
    one per GPU) for ``all``, or the one GPU named. Either proves a VM busy; neither can
    show a gap on one GPU, so neither can make it idle."""
    calls = calls if calls is not None else Calls()
    found: dict[str, list[Series]] = {w.resource_id: [] for w in wants}
    groups: dict[tuple[timedelta, timedelta, Signal, str], tuple[Rule, set[str]]] = {}
    for want in wants:
        probe = want.probe if want.signal is Signal.GPU else ""
        key = (want.rule.window, want.rule.lag, want.signal, probe)
        groups.setdefault(key, (want.rule, set()))[1].add(want.resource_id)
    url = f"{base_url}/projects/{project}/timeSeries"
    partial: set[str] = set()
    for (_, _, signal, probe), (rule, ids) in groups.items():
        ordered = sorted(ids)
        partial.update(ordered if probe else ())
        for start in range(0, len(ordered), _PER_REQUEST):
            query = _query(rule, signal, now, probe, ordered[start : start + _PER_REQUEST])
            for instance_id, series in _read(session, url, query, signal, calls):
                if instance_id in ids:
                    found[instance_id].append(series)
    return {
        w.resource_id: Measurement(
            w.signal, found[w.resource_id], _STEP, partial=w.resource_id in partial
        )
        for w in wants
    }


def _query(
    rule: Rule, signal: Signal, now: datetime, probe: str, instance_ids: Sequence[str]
) -> dict[str, str]:
    listed = ", ".join(f'"{i}"' for i in instance_ids)
    device = f' AND metric.labels.gpu_number = "{probe}"' if probe not in ("", ALL_DEVICES) else ""
    params = {
        "filter": (
            f'metric.type = "{_METRICS[signal]}" AND resource.type = "gce_instance"'
            f" AND resource.labels.instance_id = one_of({listed}){device}"
        ),
        "interval.startTime": rfc3339(rule.start(now)),
        "interval.endTime": rfc3339(rule.end(now)),
        "aggregation.alignmentPeriod": f"{int(_STEP.total_seconds())}s",
        "aggregation.perSeriesAligner": "ALIGN_MAX",
    }
    if probe == ALL_DEVICES:
        params["aggregation.crossSeriesReducer"] = "REDUCE_MAX"
        params["aggregation.groupByFields"] = "resource.labels.instance_id"
    return params


def _read(
    session: Any, url: str, params: Mapping[str, str], signal: Signal, calls: Calls
) -> Iterable[tuple[str, Series]]:
    reduced = "aggregation.crossSeriesReducer" in params
    calls.requests += 1  # pages after the first are counted by the series they return
    for item in rest.paged(session, url, "timeSeries", dict(params)):
        calls.series_returned += 1
        labels = item.get("metric", {}).get("labels", {})
        instance_id = str(item.get("resource", {}).get("labels", {}).get("instance_id", ""))
        device = ALL_DEVICES if reduced else str(labels.get("gpu_number", "cpu"))
        yield instance_id, Series(device, _points(item.get("points", []), _SCALE[signal]))


def _points(points: Iterable[Mapping[str, Any]], scale: float) -> list[tuple[datetime, float]]:
    """Each aligned point stands for the minute that ends at its ``endTime``. The hot loop
    of a read (120 points per GPU per 2 h): one dict walk per point, instants parsed once."""
    out = []
    starts = _STARTS
    for point in points:
        try:
            at = starts[point["interval"]["endTime"]]
            value = point["value"]
            number = value["doubleValue"] if "doubleValue" in value else value["int64Value"]
        except KeyError:
            at = _start(point.get("interval", {}).get("endTime", ""))
            number = point.get("value", {}).get("int64Value")
        if at is not None and number is not None:
            out.append((at, float(number) * scale))
    return out


def mark_idle(
    connection: Any, options: AdapterOptions, target: Target, resources: list[Resource]
) -> list[Resource]:
    """The idle pass of one project's VMs (``extra["instance_id"]``: the numeric id)."""
    tagged = [r for r in resources if options.idle_tag_key in r.tags]
    if not tagged:
        return resources
    to_number = {r.id: r.extra.get("instance_id", r.id) for r in tagged}
    by_number = {number: rid for rid, number in to_number.items()}
    now = options.clock()

    def read(wants: Sequence[Want]) -> Mapping[str, Measurement]:
        numbered = [replace(w, resource_id=to_number[w.resource_id]) for w in wants]
        calls = Calls()
        try:
            got = measure(
                connection.session(),
                connection.base_url("monitoring"),
                target.account,
                numbered,
                now,
                calls,
            )
        except rest.GcpApiError as err:
            raise MetricsUnavailable(str(err)) from err
        finally:
            add_calls(options.meter, "monitoring", calls)
        return {by_number.get(k, k): v for k, v in got.items()}

    judged = judge_target(options, target, tagged, now, read)
    return [judged.get(r.key, r) for r in resources]


def rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class _Starts(dict[str, datetime | None]):
    """``endTime`` text -> the start of the minute it ends; every series of one read
    carries the same aligned instants, so each is parsed once (bounded: cleared when full)."""

    def __missing__(self, text: str) -> datetime | None:
        if len(self) > 4096:
            self.clear()
        self[text] = at = _start(text)
        return at


def _start(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) - _STEP if text else None
    except ValueError:
        return None


_STARTS = _Starts()
