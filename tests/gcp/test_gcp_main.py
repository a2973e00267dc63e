"""The Cloud Functions entry point: a Pub/Sub CloudEvent runs one reconcile on the fake."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from functions.clouds.gcp_main import event_time, reconcile_event
from providers import KINDS, load
from sandbox.gcp_fake import GcpFake
from sandbox.gcp_fake.demo import DEMO_PROJECT, ZONE, seed_demo_project


class CloudEvent(dict):  # what functions-framework hands over: attributes + .data
    def __init__(self, data: dict[str, Any], **attributes: Any) -> None:
        super().__init__(attributes)
        self.data = data


def _event(body: dict[str, Any] | None = None, publish: str = "2026-11-23T21:00:03.5Z") -> Any:
    data = base64.b64encode(json.dumps(body or {}).encode()).decode()
    return CloudEvent(
        {"message": {"data": data, "publishTime": publish}}, time="2026-11-23T21:00:04Z"
    )


def test_event_time() -> None:
    assert event_time(_event()).isoformat() == "2026-11-23T21:00:03.500000+00:00"
    scheduled = _event({"scheduled_time": "2026-11-23T21:00:00Z"})
    assert event_time(scheduled).isoformat() == "2026-11-23T21:00:00+00:00"
    assert event_time(CloudEvent({}, time="2026-11-23T21:00:04Z")).hour == 21


def test_one_event_is_one_run(
    fake: GcpFake, built: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_demo_project(fake)
    for path in KINDS["gcp"].values():
        built.permissions.update(load(path).permissions)
    monkeypatch.setenv("OFFHOURS_LEDGER", str(tmp_path / "ledger"))
    monkeypatch.setenv("OFFHOURS_GCP_PROJECTS", DEMO_PROJECT)
    monkeypatch.setenv("OFFHOURS_GCP_ENDPOINT_URL", fake.url)
    monkeypatch.delenv("OFFHOURS_PROVIDERS", raising=False)

    summary = reconcile_event(_event({"scheduled_time": "2026-11-23T21:00:00Z"}))

    assert summary["errors"] == []
    assert summary["actions"] == {"stop-done": 7, "scale-down-done": 2}
    assert fake.instance(DEMO_PROJECT, ZONE, "dev-alice")["status"] == "TERMINATED"
    assert list((tmp_path / "ledger").rglob("*.jsonl.gz"))


@pytest.mark.parametrize(("timeout", "deferred"), [("59", True), ("61", False)])
def test_the_budget_is_the_deployed_timeout_as_on_every_cloud(
    fake: GcpFake,
    built: Any,
    tmp_path: Any,
    monkeypatch: pytest.MonkeyPatch,
    timeout: str,
    deferred: bool,
) -> None:
    """``OFFHOURS_TIMEOUT_SECONDS`` is the function's whole budget, counted down the way
    every entry point does (tests/functional/test_entry_budgets.py): under the job's
    per-target minimum the project is deferred untouched, just over it the run acts."""
    fake.add_instance(DEMO_PROJECT, ZONE, "dev-box", "e2-standard-4", {"schedule": "always-off"})
    built.permissions.update(load(KINDS["gcp"]["instances"]).permissions)
    monkeypatch.setenv("OFFHOURS_LEDGER", str(tmp_path / "ledger"))
    monkeypatch.setenv("OFFHOURS_GCP_PROJECTS", DEMO_PROJECT)
    monkeypatch.setenv("OFFHOURS_GCP_ENDPOINT_URL", fake.url)
    monkeypatch.setenv("OFFHOURS_KINDS", "instances")
    monkeypatch.setenv("OFFHOURS_TIMEOUT_SECONDS", timeout)
    monkeypatch.delenv("OFFHOURS_PROVIDERS", raising=False)

    summary = reconcile_event(_event({"scheduled_time": "2026-11-23T21:00:00Z"}))

    status = fake.instance(DEMO_PROJECT, ZONE, "dev-box")["status"]
    if deferred:
        assert summary["deferred"] == [f"gcp:{DEMO_PROJECT}"] and status == "RUNNING"
    else:
        assert summary["deferred"] == [] and summary["actions"] == {"stop-done": 1}
        assert status == "TERMINATED"
