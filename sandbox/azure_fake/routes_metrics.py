"""Azure Monitor metrics: the batch API for VM platform metrics (api-version 2023-10-01).

``POST /subscriptions/{s}/metrics:getBatch?metricnamespace=...&metricnames=...&starttime=
...&endtime=...&interval=PT1M&aggregation=maximum`` with ``{"resourceids": [...]}`` (at most
50, one subscription, region and type), answered as the REST reference documents it
(https://learn.microsoft.com/rest/api/monitor/metrics-batch/batch?view=rest-monitor-2023-10-01):
``{"values": [{"resourceid", "starttime", "endtime", "interval", "namespace",
"resourceregion", "value": [{"name": {"value"}, "unit", "errorCode", "timeseries": [{"data":
[{"timeStamp", "maximum"}]}]}]}]}``. In Azure the host is ``{region}.metrics.monitor.azure.com``;
the fake answers on its own origin. Only ``Percentage CPU`` of VMs is kept
(``fake.vm_cpu``: resource id, lower case -> (minute, percent) points).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sandbox.azure_fake import ml_metrics
from sandbox.azure_fake.wire import SUB, FakeError, Json, Request, Response, route

if TYPE_CHECKING:
    from sandbox.azure_fake.server import AzureFake

API_VERSION = "2023-10-01"
_MAX_RESOURCES = 50
_AGGREGATIONS = {"maximum": max, "average": lambda v: sum(v) / len(v), "minimum": min}


def get_batch(fake: AzureFake, req: Request) -> Response:
    ids = req.body.get("resourceids")
    if not isinstance(ids, list) or not ids:
        raise FakeError(400, "BadRequest", "resourceids must be a non-empty list.")
    if len(ids) > _MAX_RESOURCES:
        raise FakeError(400, "BadRequest", f"At most {_MAX_RESOURCES} resourceids per batch.")
    namespace = req.query.get("metricnamespace", "").lower()
    if namespace == ml_metrics.NAMESPACE.lower():
        start, end = _time(req.query["starttime"]), _time(req.query["endtime"])
        return Response(200, {"values": ml_metrics.values(fake, req, ids, start, end)})
    if namespace != "microsoft.compute/virtualmachines":
        raise FakeError(400, "BadRequest", "The fake serves VM and Azure ML workspace metrics.")
    names = req.query.get("metricnames", "")
    aggregation = req.query.get("aggregation", "average").lower()
    if aggregation not in _AGGREGATIONS:
        raise FakeError(400, "BadRequest", f"Unsupported aggregation {aggregation!r}.")
    if req.query.get("interval", "PT1M") != "PT1M":
        raise FakeError(400, "BadRequest", "The fake serves interval PT1M.")
    start, end = _time(req.query["starttime"]), _time(req.query["endtime"])
    values = []
    for rid in ids:
        vm = next((v for v in fake.vms.values() if v.id.lower() == str(rid).lower()), None)
        if vm is None or vm.subscription != req.params["sub"]:
            raise FakeError(400, "BadRequest", f"Resource {rid} is not in this subscription.")
        points = fake.vm_cpu.get(vm.id.lower(), []) if names == "Percentage CPU" else []
        values.append(_value(vm.id, vm.location, names, aggregation, start, end, points))
    return Response(200, {"values": values})


def _value(
    rid: str,
    region: str,
    name: str,
    aggregation: str,
    start: datetime,
    end: datetime,
    points: list[tuple[datetime, float]],
) -> Json:
    buckets: dict[datetime, list[float]] = {}
    for at, value in points:
        if start <= at < end:
            minute = at.replace(second=0, microsecond=0)
            buckets.setdefault(minute, []).append(value)
    reduce = _AGGREGATIONS[aggregation]
    data = [
        {"timeStamp": _iso(m), aggregation: reduce(v)}  # type: ignore[operator]
        for m, v in sorted(buckets.items())
    ]
    return {
        "resourceid": rid,
        "starttime": _iso(start),
        "endtime": _iso(end),
        "interval": "PT1M",
        "namespace": "Microsoft.Compute/virtualMachines",
        "resourceregion": region,
        "value": [
            {
                "id": f"{rid}/providers/Microsoft.Insights/metrics/{name}",
                "type": "Microsoft.Insights/metrics",
                "name": {"value": name, "localizedValue": name},
                "displayDescription": "The percentage of allocated compute units in use.",
                "unit": "Percent",
                "errorCode": "Success",
                "timeseries": [{"metadatavalues": [], "data": data}] if name else [],
            }
        ],
    }


def put_cpu(fake: AzureFake, vm_id: str, start: datetime, minutes: int, profile: object) -> None:
    """One ``Percentage CPU`` point a minute from ``start`` (``profile(at)`` percent)."""
    points = [
        (start + timedelta(minutes=m), float(profile(start + timedelta(minutes=m))))  # type: ignore[operator]
        for m in range(minutes)
    ]
    with fake.lock:
        fake.vm_cpu.setdefault(vm_id.lower(), []).extend(points)


def _time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as err:
        raise FakeError(400, "BadRequest", f"Invalid time {text!r}.") from err


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


ROUTES = [route("POST", SUB + r"/metrics:getBatch", get_batch)]
