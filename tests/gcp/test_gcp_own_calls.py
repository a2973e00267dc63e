"""The Cloud Monitoring reads a run is billed for are the ``projects.timeSeries.list``
requests the GCP fake served (Cloud Monitoring API v3; reads are billed per time series
returned: cloud.google.com/stackdriver/pricing), and every store request is counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from gcp_helpers import PROJECT, ZONE

from functions.jobs.reconcile import reconcile
from functions.settings import Settings
from functions.wiring import build_job, connect
from providers import KINDS, load
from providers.metering import Meter
from sandbox.gcp_fake import GcpFake
from sandbox.gcp_fake.gauges import put_utilisation

WEDNESDAY = datetime(2026, 11, 25, tzinfo=UTC)
LABELS = {"schedule": "office-hours", "idle-stop": "2h", "team": "ml"}


def test_monitoring_reads_counted_as_served(
    fake: GcpFake, built: Any, clock: Any, tmp_path: Any
) -> None:
    built.permissions.update(load(KINDS["gcp"]["instances"]).permissions)
    for name in ("gpu-a", "gpu-b"):
        fake.add_instance(
            PROJECT,
            ZONE,
            name,
            "g2-standard-48",
            LABELS,
            gpus=("nvidia-l4", 4),
            started=WEDNESDAY - timedelta(days=2),
        )
        start = WEDNESDAY + timedelta(hours=12)
        put_utilisation(fake.world, PROJECT, ZONE, name, start, 5 * 60, lambda t, g: 50.0, gpus=4)
    settings = Settings(
        providers=("gcp",), ledger=str(tmp_path / "ledger"), kinds=("instances",)
    ).replace(gcp_projects=(PROJECT,), gcp_endpoint_url=fake.url)
    meter = Meter()
    job = build_job(settings, clock, connections={"gcp": connect(settings, "gcp")}, meter=meter)
    clock.now = WEDNESDAY + timedelta(hours=15)
    fake.clear_requests()
    report = reconcile(job)

    served = [path for _, path in fake.requests if "timeSeries" in path]
    assert meter.counts()["monitoring_requests"] == len(served) >= 1
    # A first look that finds work reads one series per VM: its busiest GPU each minute
    # (``REDUCE_MAX``), not its four GPUs' series.
    assert meter.counts()["monitoring_series_returned"] == 2
    assert all("busy: GPU max 50 %" in d.reason for d in report.decisions)
    assert meter.counts()["store_writes"] >= 1 and meter.counts()["store_reads"] >= 1
