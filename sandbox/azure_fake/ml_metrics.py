"""Azure ML workspace metrics in the Azure fake: ``GpuUtilizationPercentage`` (per
``DeviceId``) and ``CpuUtilizationPercentage`` of compute instances, by ``ComputeName``.

Published on the workspace resource (namespace ``Microsoft.MachineLearningServices/workspaces``,
PT1M; dimensions ``RunId``, ``InstanceId``, ``DeviceId`` (GPU only), ``ComputeName``:
"Supported metrics for Microsoft.MachineLearningServices/workspaces", learn.microsoft.com/
azure/azure-monitor/reference/supported-metrics/microsoft-machinelearningservices-workspaces-metrics).
Answered through the batch metrics API (2023-10-01) with its ``filter`` (``A eq 'a1' or A eq
'a2' and B eq '*'``: ``or`` only between values of one dimension) and ``top`` (series per
resource, 10 unless asked), the shape ``routes_metrics`` documents; each series names its
split dimensions in ``metadatavalues`` (lower-case names, as Azure returns them).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sandbox.azure_fake.wire import FakeError, Json, Request

if TYPE_CHECKING:
    from sandbox.azure_fake.server import AzureFake

NAMESPACE = "Microsoft.MachineLearningServices/workspaces"
METRICS = ("GpuUtilizationPercentage", "CpuUtilizationPercentage")
_CLAUSE = re.compile(r"^\s*(\w+)\s+eq\s+'([^']*)'\s*$", re.IGNORECASE)


def put_ml_utilisation(
    fake: AzureFake,
    workspace_id: str,
    compute: str,
    start: datetime,
    minutes: int,
    profile: object,
    gpus: int = 0,
    skip: tuple[tuple[datetime, datetime], ...] = (),
) -> None:
    """One point a minute from ``start``: per GPU (``profile(at, device)`` percent) when
    ``gpus``, else the compute's CPU (``profile(at, 0)``); ``skip``: spans with no data."""
    metric = METRICS[0] if gpus else METRICS[1]
    percent: Callable[[datetime, int], float] = profile  # type: ignore[assignment]
    rows = []
    for minute in range(minutes):
        at = start + timedelta(minutes=minute)
        if any(a <= at < b for a, b in skip):
            continue
        rows += [(compute, str(d), at, float(percent(at, d))) for d in range(max(1, gpus))]
    with fake.lock:
        fake.ml_metrics.setdefault((workspace_id.lower(), metric), []).extend(rows)


def values(
    fake: AzureFake, req: Request, ids: list[str], start: datetime, end: datetime
) -> list[Json]:
    name = req.query.get("metricnames", "")
    if name not in METRICS:
        raise FakeError(400, "BadRequest", f"Metric {name!r} is not served by the fake.")
    if req.query.get("aggregation", "").lower() != "maximum":
        raise FakeError(400, "BadRequest", "The fake serves aggregation=maximum.")
    wanted = _filter(req.query.get("filter", ""))
    top = int(req.query.get("top", "10"))
    out = []
    for rid in ids:
        workspace = fake.workspaces.get(str(rid).lower())
        if workspace is None or workspace.subscription != req.params["sub"]:
            raise FakeError(400, "BadRequest", f"Resource {rid} is not in this subscription.")
        rows = fake.ml_metrics.get((workspace.id.lower(), name), [])
        series = _series(rows, wanted, start, end)[:top]
        out.append(_value(workspace.id, workspace.location, name, start, end, series))
    return out


def _filter(text: str) -> dict[str, set[str]]:
    """``{dimension (lower case): values}``; ``{"*"}`` splits by every value."""
    wanted: dict[str, set[str]] = {}
    for part in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE) if text.strip() else []:
        names = set()
        for clause in re.split(r"\s+or\s+", part, flags=re.IGNORECASE):
            match = _CLAUSE.match(clause)
            if not match:
                raise FakeError(400, "BadRequest", f"Invalid filter {text!r}.")
            names.add(match.group(1).lower())
            wanted.setdefault(match.group(1).lower(), set()).add(match.group(2))
        if len(names) > 1:
            raise FakeError(400, "BadRequest", "'or' cannot separate two dimension names.")
    return wanted


def _series(
    rows: list[tuple[str, str, datetime, float]],
    wanted: dict[str, set[str]],
    start: datetime,
    end: datetime,
) -> list[tuple[dict[str, str], list[Json]]]:
    buckets: dict[tuple[str, str], dict[datetime, float]] = {}
    for compute, device, at, value in rows:
        named = {"computename": compute, "deviceid": device}
        if not start <= at < end or any(
            "*" not in v and named.get(k) not in v for k, v in wanted.items()
        ):
            continue
        key = (compute if "computename" in wanted else "", device if "deviceid" in wanted else "")
        minute = buckets.setdefault(key, {})
        minute[at] = max(value, minute.get(at, value))
    out = []
    for (compute, device), points in sorted(buckets.items()):
        meta = {k: v for k, v in (("computename", compute), ("deviceid", device)) if k in wanted}
        data = [{"timeStamp": _iso(at), "maximum": v} for at, v in sorted(points.items())]
        out.append((meta, data))
    return out


def _value(
    rid: str,
    region: str,
    name: str,
    start: datetime,
    end: datetime,
    series: list[tuple[dict[str, str], list[Json]]],
) -> Json:
    return {
        "resourceid": rid,
        "starttime": _iso(start),
        "endtime": _iso(end),
        "interval": "PT1M",
        "namespace": NAMESPACE,
        "resourceregion": region,
        "value": [
            {
                "id": f"{rid}/providers/Microsoft.Insights/metrics/{name}",
                "type": "Microsoft.Insights/metrics",
                "name": {"value": name, "localizedValue": name},
                "unit": "Count",
                "errorCode": "Success",
                "timeseries": [
                    {
                        "metadatavalues": [
                            {"name": {"value": k, "localizedValue": k}, "value": v}
                            for k, v in meta.items()
                        ],
                        "data": data,
                    }
                    for meta, data in series
                ],
            }
        ],
    }


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")
