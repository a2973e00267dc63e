"""CPU utilisation of Azure VMs from Azure Monitor, for the idle rule.

``Percentage CPU`` (namespace ``Microsoft.Compute/virtualMachines``, a platform metric, one
point a minute) through the batch metrics API: ``POST {region}.metrics.monitor.azure.com/
subscriptions/{sub}/metrics:getBatch?api-version=2023-10-01`` with up to 50 resource ids of
one subscription, region and type per call, ``aggregation=maximum``, ``interval=PT1M``.

Azure publishes no GPU metric for VMs (the NVIDIA GPU utilisation of an Azure VM needs an
agent of the owner's own): a VM judged by GPU (``idle-metric=gpu``, or ``auto`` on a GPU
size) is reported unknown with that reason, and is judged by CPU only when its tag asks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from providers.base import AdapterOptions, Resource, Target
from providers.idle_check import (
    MetricsUnavailable,
    Want,
    judge_target,
)
from providers.idle_rule import Measurement, Rule, Series, Signal
from providers.metering import add_calls

PERMISSIONS = ("Microsoft.Insights/metrics/read",)
API_VERSION = "2023-10-01"
METRICS_SCOPE = "https://metrics.monitor.azure.com/.default"
VM_NAMESPACE = "Microsoft.Compute/virtualMachines"
CPU_METRIC = "Percentage CPU"
NO_GPU_METRIC = (
    "Azure Monitor publishes no GPU metric for VMs: tag idle-metric=cpu to judge it by CPU"
)
_BATCH = 50
_STEP = timedelta(minutes=1)


@dataclass
class Calls:
    """What one read cost: Azure Monitor bills batch metric queries per call."""

    batches: int = 0
    resources: int = 0


def metrics_endpoint(endpoint_url: str, region: str) -> str:
    """The regional metrics host, or the local fake that stands in for every host."""
    return (
        endpoint_url.rstrip("/") if endpoint_url else f"https://{region}.metrics.monitor.azure.com"
    )


def measure(
    send: Any, subscription: str, wants: Sequence[Want], now: datetime, calls: Calls | None = None
) -> dict[str, Measurement]:
    """ARM resource id -> what Azure Monitor holds. ``send(path, params, body) -> dict``."""
    calls = calls if calls is not None else Calls()
    found: dict[str, list[Series]] = {w.resource_id.lower(): [] for w in wants}
    # One read per window: thresholds differ per resource, the read does not.
    groups: dict[tuple[timedelta, timedelta], tuple[Rule, list[str]]] = {}
    for want in wants:
        if want.signal is Signal.CPU:
            span = (want.rule.window, want.rule.lag)
            groups.setdefault(span, (want.rule, []))[1].append(want.resource_id)
    for rule, ids in groups.values():
        for start in range(0, len(ids), _BATCH):
            batch = ids[start : start + _BATCH]
            calls.batches += 1
            calls.resources += len(batch)
            params = {
                "metricnamespace": VM_NAMESPACE,
                "metricnames": CPU_METRIC,
                "starttime": _iso(rule.start(now)),
                "endtime": _iso(rule.end(now)),
                "interval": "PT1M",
                "aggregation": "maximum",
                "api-version": API_VERSION,
            }
            body = send(f"/subscriptions/{subscription}/metrics:getBatch", params, batch)
            for resource_id, series in _series(body):
                found.setdefault(resource_id.lower(), []).extend(series)
    return {
        w.resource_id: Measurement(w.signal, found.get(w.resource_id.lower(), []), _STEP)
        for w in wants
    }


def _series(body: Mapping[str, Any]) -> Iterable[tuple[str, list[Series]]]:
    for item in body.get("values", []):
        out = []
        for metric in item.get("value", []):
            for timeseries in metric.get("timeseries", []):
                points = [
                    (_time(p["timeStamp"]), float(p["maximum"]))
                    for p in timeseries.get("data", [])
                    if p.get("maximum") is not None
                ]
                out.append(Series("cpu", points))
        yield str(item.get("resourceid", "")), out


def mark_idle(
    connection: Any, options: AdapterOptions, target: Target, resources: list[Resource]
) -> list[Resource]:
    """The idle pass of one subscription's VMs, one batch call per 50 VMs of a region."""
    tagged = [r for r in resources if options.idle_tag_key in r.tags]
    if not tagged:
        return resources
    now = options.clock()
    regions = {r.id: r.region for r in tagged}

    def read(wants: Sequence[Want]) -> Mapping[str, Measurement]:
        from azure.core.exceptions import AzureError

        got: dict[str, Measurement] = {}
        calls = Calls()
        try:
            for region in sorted({regions[w.resource_id] for w in wants}):
                mine = [w for w in wants if regions[w.resource_id] == region]
                send = metrics_sender(connection, region)
                got.update(measure(send, target.account, mine, now, calls))
        except AzureError as err:
            raise MetricsUnavailable(str(err)) from err
        finally:
            add_calls(options.meter, "azure_metrics", calls)
        return got

    judged = judge_target(options, target, tagged, now, read)
    return [_explained(judged[r.key]) if r.key in judged else r for r in resources]


def _explained(resource: Resource) -> Resource:
    if resource.idle_note.startswith("idle unknown: no GPU data"):
        return replace(resource, idle_note=f"{resource.idle_note} ({NO_GPU_METRIC})")
    return resource


def metrics_sender(connection: Any, region: str) -> Any:
    from azure.core import PipelineClient
    from azure.core.pipeline.policies import BearerTokenCredentialPolicy, RetryPolicy
    from azure.core.rest import HttpRequest

    base = metrics_endpoint(connection.config.endpoint_url, region)
    client: Any = PipelineClient(
        base_url=base,
        policies=[RetryPolicy(), BearerTokenCredentialPolicy(connection.credential, METRICS_SCOPE)],
    )

    def send(path: str, params: Mapping[str, str], resource_ids: list[str]) -> dict[str, Any]:
        request = HttpRequest(
            "POST", f"{base}{path}", params=dict(params), json={"resourceids": resource_ids}
        )
        response = client.send_request(request)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    return send


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
