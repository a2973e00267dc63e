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
