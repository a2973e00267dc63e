"""The Cloud Function's daily trigger: a Pub/Sub message whose body says
``{"action": "inventory"}`` takes the inventory instead of a scheduling run."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from functions.clouds.gcp_main import event_action, reconcile_event
from ledger.inventory import read_inventory
from providers import KINDS, load
from providers.store import LocalStore
from sandbox.gcp_fake import GcpFake
from sandbox.gcp_fake.demo import DEMO_PROJECT, ZONE, seed_demo_project


class CloudEvent(dict):  # what functions-framework hands over: attributes + .data
    def __init__(self, data: dict[str, Any], **attributes: Any) -> None:
        super().__init__(attributes)
        self.data = data


def _event(body: dict[str, Any]) -> Any:
    data = base64.b64encode(json.dumps(body).encode()).decode()
    message = {"data": data, "publishTime": "2026-11-24T05:30:01Z"}
    return CloudEvent({"message": message}, time="2026-11-24T05:30:02Z")


def test_event_action() -> None:
    assert event_action(_event({"action": "inventory"})) == "inventory"
    assert event_action(_event({"scheduled_time": "2026-11-24T05:30:00Z"})) == ""
    assert event_action(CloudEvent({})) == ""


def test_the_inventory_message_writes_snapshots_and_changes_nothing(
    fake: GcpFake, built: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_demo_project(fake)
    for path in KINDS["gcp"].values():
        built.permissions.update(load(path).permissions)
    monkeypatch.setenv("OFFHOURS_LEDGER", str(tmp_path))
    monkeypatch.setenv("OFFHOURS_GCP_PROJECTS", DEMO_PROJECT)
    monkeypatch.setenv("OFFHOURS_GCP_ENDPOINT_URL", fake.url)
    monkeypatch.delenv("OFFHOURS_PROVIDERS", raising=False)
    before = fake.instance(DEMO_PROJECT, ZONE, "dev-alice")["status"]

    summary = reconcile_event(_event({"action": "inventory"}))

    assert summary["job"] == "inventory" and summary["errors"] == []
    assert summary["untagged"] >= 1
    snapshots = list(read_inventory(LocalStore(tmp_path)))
    assert snapshots and all(s.taken_at.isoformat().startswith("2026-11-24") for s in snapshots)
    untagged = [r for s in snapshots for r in s.resources if "schedule" not in r.tags]
    assert len(untagged) == summary["untagged"]
    assert fake.instance(DEMO_PROJECT, ZONE, "dev-alice")["status"] == before
    assert not list(tmp_path.rglob("*.jsonl.gz"))  # no scheduling run, nothing booked
