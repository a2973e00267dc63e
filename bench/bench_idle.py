"""What the idle rule costs on each cloud: metrics calls, client CPU and the monthly metrics
bill for N idle-tagged GPU instances (``idle-stop=2h``) over a day of 96 runs (every 15 min).

Usage: .venv/bin/python bench/bench_idle.py --resources 1000

Runs the real idle pass (``providers/idle_check.check`` with the CloudWatch reader of
``providers/aws/utilisation.py``) against an in-memory CloudWatch that answers
``ListMetrics`` and ``GetMetricData`` in their documented shapes and limits (500 metrics per
ListMetrics page; at most 500 queries and 100,800 datapoints per GetMetricData; CloudWatch
API Reference 2010-08-01). moto serves the same calls (the functional tests use it) but
takes minutes to answer a day of 1,000 instances' minutes, so it is not used here; the
stand-in's own CPU is subtracted from what is reported.

The fleet: 60 % of the boxes run a job all day (95 %), 30 % sit idle (0 %) and are stopped
at their first look, 10 % have no agent (no series: never read, never stopped). Each
scenario is run with the per-GPU series (4 per box) and with the agent's combined series
(``aggregation_dimensions: [["InstanceId"]]``, 1 per box), and with the "look again only
when the verdict can change" memo on and off.

Prices (list prices, free tiers ignored):

- AWS: CloudWatch ``GetMetricData`` $0.01 per 1,000 metrics requested, ``ListMetrics`` an
  API request at $0.01 per 1,000 requests (us-east-1, https://aws.amazon.com/cloudwatch/pricing/).
- GCP: Cloud Monitoring read API calls $0.50 per million time series returned, from
  2025-10-02 (before: $0.01 per 1,000 calls), first million a month per billing account
  free (https://cloud.google.com/stackdriver/pricing, "Monitoring API calls").
- Azure: Azure Monitor metrics queries $0.01 per 1,000 API calls
  (https://azure.microsoft.com/pricing/details/monitor/, "Metrics" -> "Queries"); whether a
  ``getBatch`` call counts once or once per resource id is priced both ways.

GCP and Azure are run the same way: ``FakeMonitoring`` answers ``projects.timeSeries.list``
(with ``REDUCE_MAX`` across GPUs and ``metric.labels.gpu_number`` filters), and
``FakeAzureMonitor`` ``metrics:getBatch``, each in the documented response shape.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from providers.aws.utilisation import AGENT_NAMESPACE, Ask, Calls, measure
from providers.base import Resource, ResourceState
from providers.idle_check import IdleSettings, Look, Want, check

PRICE_PER_METRIC = 0.01 / 1000
PRICE_PER_REQUEST = 0.01 / 1000
# Cloud Monitoring read API: $0.50 per million time series returned (since 2025-10-02).
GCP_PRICE_PER_SERIES = 0.50 / 1_000_000
# Azure Monitor metrics queries: $0.01 per 1,000 API calls.
AZURE_PRICE_PER_CALL = 0.01 / 1000
DAY = datetime(2026, 11, 23, tzinfo=UTC)
RUNS = 96


@dataclass
class FakeCloudWatch:
    """ListMetrics / GetMetricData over generated minutes; counts its own CPU."""

    profiles: dict[str, float]  # instance id -> percent (missing: no agent)
    gpus: int
    combined: bool
    cpu: float = 0.0
    series: list[list[dict[str, str]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for instance in sorted(self.profiles):
            if self.combined:
                self.series.append([{"Name": "InstanceId", "Value": instance}])
                continue
            for gpu in range(self.gpus):
                self.series.append(
                    [
                        {"Name": "InstanceId", "Value": instance},
                        {"Name": "index", "Value": str(gpu)},
                        {"Name": "name", "Value": "NVIDIA A10G"},
                    ]
                )

    def get_paginator(self, name: str) -> Any:
        return _Paginator(getattr(self, f"_{name}"), self)

    def _list_metrics(self, **kw: Any) -> Iterator[dict[str, Any]]:
        for start in range(0, len(self.series), 500):
            page = self.series[start : start + 500]
            yield {"Metrics": [{"Namespace": kw["Namespace"], "Dimensions": d} for d in page]}

    def _get_metric_data(self, **kw: Any) -> Iterator[dict[str, Any]]:
        queries = kw["MetricDataQueries"]
        start, end = kw["StartTime"], kw["EndTime"]
        assert len(queries) <= 500, "GetMetricData takes at most 500 queries"
        results, points = [], 0
        for q in queries:
            stat = q["MetricStat"]
            step = timedelta(seconds=stat["Period"])
            dims = {d["Name"]: d["Value"] for d in stat["Metric"]["Dimensions"]}
            value = self.profiles.get(dims.get("InstanceId", ""), 0.0)
            stamps = [start + i * step for i in range(int((end - start) / step))]
            points += len(stamps)
            results.append({"Id": q["Id"], "Timestamps": stamps, "Values": [value] * len(stamps)})
        assert points <= 100_800, "GetMetricData returns at most 100,800 datapoints"
        yield {"MetricDataResults": results}


class _Paginator:
    def __init__(self, method: Any, owner: FakeCloudWatch) -> None:
        self.method, self.owner = method, owner

    def paginate(self, **kw: Any) -> Iterator[dict[str, Any]]:
        pages = self.method(**kw)
        while True:
            began = time.process_time()
            page = next(pages, None)
            self.owner.cpu += time.process_time() - began
            if page is None:
                return
            yield page


def fleet(n: int) -> tuple[list[Resource], dict[str, float]]:
    resources, profiles = [], {}
    for i in range(n):
        instance = f"i-{i:017x}"
        share = i % 10
        if share < 6:
            profiles[instance] = 95.0
        elif share < 9:
            profiles[instance] = 0.0
        resources.append(
            Resource(
                provider="aws",
                account="123456789012",
                region="us-east-1",
                kind="ec2",
                id=instance,
                name=f"gpu-{i}",
                tags={"idle-stop": "2h", "team": f"t{i % 7}"},
                state=ResourceState.RUNNING,
                size="g5.12xlarge",
                started_at=DAY - timedelta(days=2),
                accelerator=True,
            )
        )
    return resources, profiles


def simulate(n: int, combined: bool, memo: bool) -> dict[str, float]:
    resources, profiles = fleet(n)
    cloudwatch = FakeCloudWatch(profiles, gpus=4, combined=combined)
    calls = Calls()

    def read_at(now: datetime) -> Any:
        def read(wants: list[Want]) -> dict[str, Any]:
            asks = [Ask(w.resource_id, w.signal, w.rule, w.probe) for w in wants]
            return measure(cloudwatch, asks, now, AGENT_NAMESPACE, calls)

        return read

    stopped, busiest_ms = _day(resources, read_at, lambda: cloudwatch.cpu, memo)
    requests = calls.list_metrics + calls.get_metric_data
    monthly = 30 * (calls.metrics_requested * PRICE_PER_METRIC + requests * PRICE_PER_REQUEST)
    return {
        "stopped": stopped,
        "list_metrics/day": calls.list_metrics,
        "get_metric_data/day": calls.get_metric_data,
        "metrics_requested/day": calls.metrics_requested,
        "cpu_ms_per_100/run (max)": round(busiest_ms, 2),
        "usd/month": round(monthly, 2),
    }


def simulate_gcp(n: int, memo: bool) -> dict[str, float]:
    """Cloud Monitoring ``timeSeries.list`` through the real GCP reader: series per GPU of
    each VM named in the request's ``one_of`` filter."""
    from providers.gcp import utilisation as gcp

    resources, profiles = fleet(n)
    session = FakeMonitoring(profiles, gpus=4)
    calls = gcp.Calls()

    def read_at(now: datetime) -> Any:
        def read(wants: list[Want]) -> Any:
            return gcp.measure(session, "http://monitoring", "p", wants, now, calls)

        return read

    stopped, busiest_ms = _day(resources, read_at, lambda: session.cpu, memo)
    return {
        "stopped": stopped,
        "timeSeries.list/day": calls.requests,
        "series_returned/day": calls.series_returned,
        "cpu_ms_per_100/run (max)": round(busiest_ms, 2),
        "usd/month": round(30 * calls.series_returned * GCP_PRICE_PER_SERIES, 2),
    }


def simulate_azure(n: int, memo: bool) -> dict[str, float]:
    """Azure Monitor ``metrics:getBatch`` through the real Azure reader: ``Percentage CPU``
    (Azure publishes no GPU metric for VMs, so the fleet is tagged ``idle-metric=cpu``)."""
    from providers.azure import utilisation as azure

    resources, profiles = fleet(n)
    resources = [
        replace(r, id=_arm_id(r.id), tags={**r.tags, "idle-metric": "cpu"}) for r in resources
    ]
    monitor = FakeAzureMonitor({_arm_id(k): v for k, v in profiles.items()})
    calls = azure.Calls()

    def read_at(now: datetime) -> Any:
        def read(wants: list[Want]) -> Any:
            return azure.measure(monitor.send, "sub", wants, now, calls)

        return read

    stopped, busiest_ms = _day(resources, read_at, lambda: monitor.cpu, memo)
    return {
        "stopped": stopped,
        "getBatch/day": calls.batches,
        "resources_queried/day": calls.resources,
        "cpu_ms_per_100/run (max)": round(busiest_ms, 2),
        "usd/month (per call)": round(30 * calls.batches * AZURE_PRICE_PER_CALL, 2),
        "usd/month (per resource)": round(30 * calls.resources * AZURE_PRICE_PER_CALL, 2),
    }


def _arm_id(instance: str) -> str:
    return f"/subscriptions/sub/resourceGroups/rg/providers/{_VM_TYPE}/{instance}"


_VM_TYPE = "Microsoft.Compute/virtualMachines"


class FakeAzureMonitor:
    """``metrics:getBatch`` over generated minutes, in the documented response shape
    (``values[].resourceid``, ``value[].timeseries[].data[].timeStamp/maximum``; Azure
    Monitor REST API "Metrics Batch - Batch", 2023-10-01); at most 50 resource ids a call."""

    def __init__(self, profiles: dict[str, float]) -> None:
        self.profiles, self.cpu = profiles, 0.0

    def send(self, path: str, params: Any, resource_ids: list[str]) -> dict[str, Any]:
        began = time.process_time()
        assert len(resource_ids) <= 50, "getBatch takes at most 50 resource ids"
        start = datetime.fromisoformat(params["starttime"].replace("Z", "+00:00"))
        stamps = [f"{start + k * timedelta(minutes=1):%Y-%m-%dT%H:%M:%SZ}" for k in range(120)]
        values = [
            {
                "resourceid": rid,
                "value": [
                    {
                        "name": {"value": "Percentage CPU"},
                        "timeseries": [
                            {
                                "data": [
                                    {"timeStamp": t, "maximum": self.profiles[rid]} for t in stamps
                                ]
                            }
                        ],
                    }
                ],
            }
            for rid in resource_ids
            if rid in self.profiles
        ]
        self.cpu += time.process_time() - began
        return {"values": values}


def _day(resources: list[Resource], read_at: Any, fake_cpu: Any, memo: bool) -> tuple[int, float]:
    """96 runs of the idle pass; an idle box is stopped (and no longer measured)."""
    looks: dict[str, Look] = {}
    settings = IdleSettings()
    busiest_ms = 0.0
    stopped = 0
    for run in range(RUNS):
        now = DAY + run * timedelta(minutes=15)
        running = [r for r in resources if r.state is ResourceState.RUNNING]
        began, fake_before = time.process_time(), fake_cpu()
        judged = check(running, now, read_at(now), settings, looks if memo else None)
        spent = time.process_time() - began - (fake_cpu() - fake_before)
        busiest_ms = max(busiest_ms, spent * 1000 * 100 / max(1, len(running)))
        idle = {r.key for r in judged if r.idle}
        stopped += len(idle)
        resources = [
            replace(r, state=ResourceState.STOPPED) if r.key in idle else r for r in resources
        ]
    return stopped, busiest_ms


class FakeMonitoring:
    """A ``requests.Session`` stand-in answering ``projects.timeSeries.list`` for the VMs
    its filter names (``resource.labels.instance_id = one_of(...)``)."""

    def __init__(self, profiles: dict[str, float], gpus: int) -> None:
        self.profiles, self.gpus, self.cpu = profiles, gpus, 0.0

    def request(self, method: str, url: str, params: Any = None, **_: Any) -> Any:
        began = time.process_time()
        ids = re.findall(r'"(i-[0-9a-f]+)"', params["filter"])
        end = datetime.fromisoformat(params["interval.endTime"].replace("Z", "+00:00"))
        # A reducer across GPUs answers one series per VM (only the grouped label kept);
        # a gpu_number term selects one GPU's series.
        reduced = params.get("aggregation.crossSeriesReducer") == "REDUCE_MAX"
        one = re.search(r'metric\.labels\.gpu_number = "(\d+)"', params["filter"])
        gpus = [int(one.group(1))] if one else [0] if reduced else range(self.gpus)
        series = [
            {
                "metric": {"labels": {} if reduced else {"gpu_number": str(g)}},
                "resource": {"labels": {"instance_id": i}},
                "points": [
                    {
                        "interval": {
                            "endTime": f"{end - k * timedelta(minutes=1):%Y-%m-%dT%H:%M:%SZ}"
                        },
                        "value": {"doubleValue": self.profiles[i]},
                    }
                    for k in range(120)
                ],
            }
            for i in ids
            if i in self.profiles
            for g in gpus
        ]
        self.cpu += time.process_time() - began
        return _Response({"timeSeries": series})


class _Response:
    status_code = 200
    content = b"x"

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body

    def json(self) -> dict[str, Any]:
        return self.body


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--resources", type=int, default=1000)
    args = parser.parse_args()
    print(f"{args.resources} idle-tagged GPU instances (4 GPUs), {RUNS} runs/day, window 2 h")
    for memo in (False, True):
        print(f"  GCP, memo {'on' if memo else 'off':29} {simulate_gcp(args.resources, memo)}")
    for memo in (False, True):
        label = f"Azure (CPU), memo {'on' if memo else 'off'}"
        print(f"  {label:32} {simulate_azure(args.resources, memo)}")
    for combined in (False, True):
        for memo in (False, True):
            series = "combined series" if combined else "per-GPU series"
            label = f"{series}, memo {'on' if memo else 'off'}"
            print(f"  {label:32} {simulate(args.resources, combined, memo)}")


if __name__ == "__main__":
    main()
