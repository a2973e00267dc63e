"""GPU and CPU utilisation of Azure ML compute instances from Azure Monitor, for the idle rule.

Azure ML publishes them on the **workspace** (namespace
``Microsoft.MachineLearningServices/workspaces``, PT1M), split by the compute's name:

- GPU: ``GpuUtilizationPercentage`` ("utilization percentage of a GPU device"), dimensions
  ``RunId``, ``InstanceId``, ``DeviceId``, ``ComputeName``: one series per ``DeviceId``;
- CPU: ``CpuUtilizationPercentage``, dimensions ``RunId``, ``InstanceId``, ``ComputeName``.

Read with the batch metrics API (as ``providers/azure/utilisation.py`` reads VMs): one
``metrics:getBatch`` per workspace, signal, window and 20 compute instances due a look, the
workspace's id as the resource, ``aggregation=maximum``, ``interval=PT1M`` and
``filter=ComputeName eq 'a' or ComputeName eq 'b' and DeviceId eq '*'`` (``or`` between the
values of one dimension; ``'*'`` splits by every device), ``top`` raised so no series is
cut at the default 10. Each series names its ``computename`` and ``deviceid`` in
``metadatavalues``. A compute with no series is "unknown", never idle.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from providers.azure.utilisation import API_VERSION, Calls, metrics_sender
from providers.azure.utilisation import PERMISSIONS as METRICS_PERMISSIONS
from providers.base import AdapterOptions, Resource, Target
from providers.idle_check import (
    MetricsUnavailable,
    Want,
    judge_target,
)
from providers.idle_rule import Measurement, Rule, Series, Signal
from providers.metering import add_calls

PERMISSIONS = METRICS_PERMISSIONS
NAMESPACE = "Microsoft.MachineLearningServices/workspaces"
GPU_METRIC = "GpuUtilizationPercentage"
CPU_METRIC = "CpuUtilizationPercentage"
_METRICS = {Signal.GPU: GPU_METRIC, Signal.CPU: CPU_METRIC}
_PER_CALL = 20
# Series one call may return: 20 computes x up to 8 GPUs, with room to spare.
_TOP = 200
_STEP = timedelta(minutes=1)


def measure(
    send: Any,
    subscription: str,
    workspace_id: str,
    wants: Sequence[Want],
    now: datetime,
    calls: Calls | None = None,
) -> dict[str, Measurement]:
    """Compute name (``Want.resource_id``) -> what the workspace's metrics hold for it.
    ``send(path, params, resource_ids) -> dict`` is one batch call."""
    calls = calls if calls is not None else Calls()
    found: dict[str, list[Series]] = {w.resource_id.lower(): [] for w in wants}
    groups: dict[tuple[Rule, Signal], list[str]] = {}
    for want in wants:
        groups.setdefault((want.rule, want.signal), []).append(want.resource_id)
    for (rule, signal), names in groups.items():
        for start in range(0, len(names), _PER_CALL):
            batch = names[start : start + _PER_CALL]
            calls.batches += 1
            calls.resources += 1
            params = _params(rule, signal, batch, now)
            body = send(f"/subscriptions/{subscription}/metrics:getBatch", params, [workspace_id])
            for compute, series in _series(body, signal):
                found.setdefault(compute, []).append(series)
    return {
        w.resource_id: Measurement(w.signal, found.get(w.resource_id.lower(), []), _STEP)
        for w in wants
    }


def _params(rule: Rule, signal: Signal, names: Sequence[str], now: datetime) -> dict[str, str]:
    computes = " or ".join(f"ComputeName eq '{n}'" for n in names)
    split = " and DeviceId eq '*'" if signal is Signal.GPU else ""
    return {
        "metricnamespace": NAMESPACE,
        "metricnames": _METRICS[signal],
        "starttime": _iso(rule.start(now)),
        "endtime": _iso(rule.end(now)),
        "interval": "PT1M",
        "aggregation": "maximum",
        "filter": computes + split,
        "top": str(_TOP),
        "api-version": API_VERSION,
    }


def _series(body: Mapping[str, Any], signal: Signal) -> Iterable[tuple[str, Series]]:
    """(compute name in lower case, one device's series) for each returned series."""
    for item in body.get("values", []):
        for metric in item.get("value", []):
            for timeseries in metric.get("timeseries", []):
                meta = {
                    str(m.get("name", {}).get("value", "")).lower(): str(m.get("value", ""))
                    for m in timeseries.get("metadatavalues", [])
                }
                device = meta.get("deviceid", "cpu") if signal is Signal.GPU else "cpu"
                points = [
                    (_time(p["timeStamp"]), float(p["maximum"]))
                    for p in timeseries.get("data", [])
                    if p.get("maximum") is not None
                ]
                yield meta.get("computename", "").lower(), Series(device, points)


def mark_idle(
    connection: Any, options: AdapterOptions, target: Target, resources: list[Resource]
) -> list[Resource]:
    """The idle pass of one subscription's compute instances, read per workspace."""
    tagged = [r for r in resources if options.idle_tag_key in r.tags]
    if not tagged:
        return resources
    now = options.clock()
    by_id = {r.id: r for r in tagged}

    def read(wants: Sequence[Want]) -> Mapping[str, Measurement]:
        from azure.core.exceptions import AzureError

        workspaces: dict[tuple[str, str], list[Want]] = {}
        for want in wants:
            workspace, _, name = want.resource_id.partition("/computes/")
            key = (workspace, by_id[want.resource_id].region)
            workspaces.setdefault(key, []).append(replace(want, resource_id=name))
        got: dict[str, Measurement] = {}
        for (workspace, region), named in sorted(workspaces.items()):
            calls = Calls()
            try:
                send = metrics_sender(connection, region)
                measured = measure(send, target.account, workspace, named, now, calls)
            except AzureError as err:
                raise MetricsUnavailable(str(err)) from err
            finally:
                add_calls(options.meter, "azure_metrics", calls)
            got.update({f"{workspace}/computes/{k}": v for k, v in measured.items()})
        return got

    judged = judge_target(options, target, tagged, now, read)
    return [judged.get(r.key, r) for r in resources]


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
