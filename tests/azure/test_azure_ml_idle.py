"""Idle Azure ML compute instances through the reconcile job against the ARM fake: the
workspace's ``GpuUtilizationPercentage`` per ``DeviceId`` (or ``CpuUtilizationPercentage``)
for the compute's ``ComputeName`` decides; one busy GPU of four, a gap or a compute with no
series keep it running; the stop is booked ``x_Trigger=idle``.

Shapes: "Supported metrics for Microsoft.MachineLearningServices/workspaces" (learn.microsoft
.com/azure/azure-monitor/reference/supported-metrics/microsoft-machinelearningservices-
workspaces-metrics: PT1M, dimensions ``RunId``, ``InstanceId``, ``DeviceId``, ``ComputeName``);
Azure Monitor REST API 2023-10-01, Metrics Batch - Batch (``filter``, ``top``,
``metadatavalues``). Served by ``sandbox/azure_fake/ml_metrics.py``.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from functions.jobs.reconcile import reconcile
from functions.settings import Settings
from functions.wiring import build_job
from ledger.book import read_records
from providers.store import LocalStore
from sandbox.azure_fake.ml_metrics import put_ml_utilisation

SUB = "00000000-0000-4000-8000-000000000001"
WED = datetime(2026, 11, 25, tzinfo=UTC)
WED_2PM = WED + timedelta(hours=14)
TAGS = {"schedule": "office-hours", "idle-stop": "2h", "team": "ml"}
FOUR_GPUS = "Standard_NC64as_T4_v3"  # 4 T4s


def run(fake: Any, tmp_path: Path, hour: int, minute: int = 0) -> Any:
    now = WED + timedelta(hours=hour, minutes=minute)
    settings = Settings(
        providers=("azure",), ledger=str(tmp_path / "ledger"), kinds=("ml-compute",)
    ).replace(azure_endpoint_url=fake.url)
    return reconcile(build_job(settings, clock=lambda: now))


def compute(
    fake: Any, name: str, profile: Any, tags: dict[str, str] = TAGS, gpus: int = 4, **kw: Any
) -> None:
    size = FOUR_GPUS if gpus else "Standard_DS3_v2"
    made = fake.add_ml_compute(SUB, "rg-ml", "research", name, size, "westeurope", tags)
    if profile is not None:
        start = WED + timedelta(hours=12)
        put_ml_utilisation(fake, made.workspace.id, name, start, 5 * 60, profile, gpus, **kw)


def reason(report: Any, name: str) -> str:
    return next(d.reason for d in report.decisions if d.resource.name == f"research/{name}")


def states(fake: Any) -> dict[str, str]:
    return {c.name: c.state for c in fake.ml_computes.values()}


def test_idle_gpu_compute_is_stopped_busy_ones_never(fake: Any, tmp_path: Path) -> None:
    compute(fake, "gpu-idle-azure", lambda t, d: 60.0 if t < WED_2PM else 0.0)
    compute(fake, "gpu-train-azure", lambda t, d: 95.0)
    compute(fake, "one-of-four", lambda t, d: 70.0 if d == 1 and t >= WED_2PM else 0.0)

    report = run(fake, tmp_path, 15)
    assert "busy: GPU max 60 % over 2 h (4 GPUs" in reason(report, "gpu-idle-azure")
    report = run(fake, tmp_path, 16, 10)
    assert reason(report, "gpu-idle-azure").endswith("stops at Wed 16:25 UTC if still idle")
    report = run(fake, tmp_path, 16, 25)
    assert reason(report, "gpu-idle-azure") == "idle: GPU max 0 % over 2 h (4 GPUs, 100 % coverage)"
    assert "busy: GPU max 95 %" in reason(report, "gpu-train-azure")
    assert "busy: GPU max 70 % over 2 h (4 GPUs" in reason(report, "one-of-four")
    assert states(fake) == {
        "gpu-idle-azure": "Stopped",
        "gpu-train-azure": "Running",
        "one-of-four": "Running",
    }
    (stop,) = [r for r in read_records(LocalStore(tmp_path / "ledger")) if r["x_Action"] == "stop"]
    assert (stop["ResourceName"], stop["x_Trigger"]) == ("research/gpu-idle-azure", "idle")


def test_a_gap_or_no_series_is_unknown(fake: Any, tmp_path: Path) -> None:
    gap = ((WED + timedelta(hours=15), WED + timedelta(hours=15, minutes=30)),)
    compute(fake, "gappy", lambda t, d: 0.0, skip=gap)
    compute(fake, "silent", None)
    run(fake, tmp_path, 16, 10)
    report = run(fake, tmp_path, 16, 25)
    assert "idle unknown: GPU max 0 % over 2 h (4 GPUs, 75 % coverage)" in reason(report, "gappy")
    assert "idle unknown: no GPU data over 2 h" in reason(report, "silent")
    assert states(fake) == {"gappy": "Running", "silent": "Running"}


def test_idle_tag_alone_cpu_and_an_override(fake: Any, tmp_path: Path) -> None:
    compute(fake, "dev-cpu", lambda t, d: 1.0, tags={"idle-stop": "2h"}, gpus=0)
    kept = {**TAGS, "schedule-override": "running-until-20261125t2200z"}
    compute(fake, "kept", lambda t, d: 0.0, tags=kept)
    compute(fake, "untagged", lambda t, d: 0.0, tags={"team": "ml"})
    run(fake, tmp_path, 16, 10)
    report = run(fake, tmp_path, 16, 25)
    assert reason(report, "dev-cpu") == "idle: CPU max 1 % over 2 h (100 % coverage)"
    assert reason(report, "kept").startswith("override: running until")
    assert "research/untagged" not in {d.resource.name for d in report.decisions}
    assert states(fake) == {"dev-cpu": "Stopped", "kept": "Running", "untagged": "Running"}


def _batch(fake: Any, workspace_id: str, **query: str) -> tuple[int, Any]:
    """One ``metrics:getBatch`` call as Azure Monitor's REST reference documents it."""
    params = {
        "metricnamespace": "Microsoft.MachineLearningServices/workspaces",
        "metricnames": "GpuUtilizationPercentage",
        "starttime": "2026-11-25T14:00:00Z",
        "endtime": "2026-11-25T16:00:00Z",
        "interval": "PT1M",
        "aggregation": "maximum",
        "api-version": "2023-10-01",
        **query,
    }
    request = urllib.request.Request(
        f"{fake.url}/subscriptions/{SUB}/metrics:getBatch?{urllib.parse.urlencode(params)}",
        method="POST",
        data=json.dumps({"resourceids": [workspace_id]}).encode(),
        headers={
            "Authorization": f"Bearer {fake.tokens.issue()}",
            "Content-Type": "application/json",
        },
    )
    trust = ssl.create_default_context(cafile=str(fake.ca_file))
    try:
        with urllib.request.urlopen(request, context=trust) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_the_fake_keeps_the_documented_filter_and_top(fake: Any) -> None:
    """``or`` only between values of one dimension; ``top`` cuts at 10 series unless asked;
    series name their split dimensions in ``metadatavalues`` (Metrics Batch - Batch,
    2023-10-01)."""
    for name in ("a", "b", "c"):
        compute(fake, name, lambda t, d: 1.0)
    workspace_id = next(iter(fake.workspaces.values())).id
    both = "ComputeName eq 'a' or ComputeName eq 'b' or ComputeName eq 'c' and DeviceId eq '*'"
    status, body = _batch(fake, workspace_id, filter=both)
    assert status == 200
    (series,) = [m["timeseries"] for v in body["values"] for m in v["value"]]
    assert len(series) == 10  # 12 device series, cut at the default top
    status, body = _batch(fake, workspace_id, filter=both, top="200")
    (series,) = [m["timeseries"] for v in body["values"] for m in v["value"]]
    assert len(series) == 12
    assert {m["name"]["value"] for m in series[0]["metadatavalues"]} == {"computename", "deviceid"}
    status, _ = _batch(fake, workspace_id, filter="ComputeName eq 'a' or DeviceId eq '0'")
    assert status == 400
