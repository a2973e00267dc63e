"""GCP and Azure notices carry working snooze links, here for VMs that take their schedule
from their project's labels (GCP) or their resource group's tags (Azure).

The scheduler function's own entry point (Cloud Function ``reconcile_event``, Azure
Functions ``scheduler`` timer) runs at the real time with a stop ten minutes ahead, signs
the notice's links with the key from Secret Manager / Key Vault, and posts the notice to a
JSON webhook on loopback; the link is then followed through the snooze function's own test
server (functions-framework's Flask client, the Azure Functions app's registered HTTP
function), and the resource carries the override label/tag afterwards.

Key reads follow Secret Manager v1 ``projects.secrets.versions.access`` and Key Vault Get
Secret (7.x ``{"value", "id", "attributes"}``), as the fakes serve them.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pytest
from snooze_kit import KEY, OVERRIDE, query_of

from ledger.book import read_records
from providers.store import LocalStore
from sandbox.azure_fake.server import start_azure_fake
from sandbox.gcp_fake import start_gcp_fake

PROJECT, ZONE = "links-proj", "europe-west1-b"
SUB = "5e5e5e5e-0000-4000-8000-0000000000c1"
KEEP_1H = "keep running 1 h"


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A JSON notice channel on loopback: every body posted to it, parsed."""
    bodies: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/json/ml", bodies
    finally:
        server.shutdown()
        server.server_close()


def _stop_soon() -> tuple[datetime, str, str]:
    """A stop ten minutes from now, and a daily schedule (label form, inline form) that
    has been on for two hours and stops then."""
    stop = (datetime.now(UTC) + timedelta(minutes=10)).replace(second=0, microsecond=0)
    start = stop - timedelta(hours=2)
    return stop, f"daily_{start:%H%M}-{stop:%H%M}_utc", f"daily {start:%H:%M}-{stop:%H:%M} UTC"


def _notice_env(hook: str, tmp: Path) -> dict[str, str]:
    return {
        "OFFHOURS_LEDGER": str(tmp / "ledger"),
        "OFFHOURS_NOTICE_CHANNELS": f"ml=json:{hook}",
        "OFFHOURS_NOTICE_SECRET": "webhook-signing-secret",
        "OFFHOURS_NOTICE_MINUTES": "60",
        "OFFHOURS_SNOOZE_URL": "https://snooze.example",
    }


def _links_of(bodies: list[dict[str, Any]], name: str) -> dict[str, str]:
    [notice] = [n for body in bodies for n in body["notices"] if n["name"] == name]
    return {link["label"]: link["url"] for link in notice["links"]}


def test_a_gcp_notice_carries_a_link_that_labels_the_vm(
    webhook: tuple[str, list[dict[str, Any]]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import functions_framework

    from functions.clouds import gcp_main

    hook, bodies = webhook
    stop, label, _ = _stop_soon()
    with start_gcp_fake() as fake:
        env = {
            **fake.credential_env(tmp_path),
            **_notice_env(hook, tmp_path),
            "OFFHOURS_GCP_ENDPOINT_URL": fake.url,
            "OFFHOURS_GCP_PROJECTS": PROJECT,
            "OFFHOURS_KINDS": "instances",
            "OFFHOURS_SNOOZE_KEY_SECRET": f"projects/{PROJECT}/secrets/offhours-snooze-key",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        # The VM has no labels: it takes its schedule (and team) from its project's labels.
        fake.add_project(PROJECT, labels={"schedule": label, "team": "ml"})
        fake.add_secret(PROJECT, "offhours-snooze-key", KEY)
        fake.add_instance(PROJECT, ZONE, "nb-1", "n1-standard-8")

        message = {"data": base64.b64encode(b"{}").decode(), "publishTime": _iso(datetime.now(UTC))}
        summary = gcp_main.reconcile_event(SimpleNamespace(data={"message": message}))
        assert summary["errors"] == []
        links = _links_of(bodies, "nb-1")
        assert len(links) == 4 and KEEP_1H in links

        source = Path(gcp_main.__file__)
        client = functions_framework.create_app(target="snooze_http", source=str(source))
        answer = client.test_client().post(
            "/", query_string=query_of(links[KEEP_1H]), data={"confirm": "yes"}
        )
        assert answer.status_code == 200, answer.data
        labels = fake.instance(PROJECT, ZONE, "nb-1")["labels"]
        until = stop + timedelta(hours=1)
        assert labels == {OVERRIDE: f"running-until-{until:%Y%m%dt%H%M}z"}
        [row] = [
            r for r in read_records(LocalStore(tmp_path / "ledger")) if r["x_Action"] == "snooze"
        ]
        assert (row["ResourceName"], row["x_Schedule"]) == ("nb-1", label)


def test_an_azure_notice_carries_a_link_that_tags_the_vm(
    webhook: tuple[str, list[dict[str, Any]]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import azure.functions as func

    from functions.clouds import azure_function_app

    hook, bodies = webhook
    stop, _, inline = _stop_soon()
    with start_azure_fake() as fake:
        env = {
            **fake.credential_env(),
            **_notice_env(hook, tmp_path),
            "OFFHOURS_PROVIDERS": "azure",
            "OFFHOURS_AZURE_ENDPOINT_URL": fake.url,
            "OFFHOURS_AZURE_SUBSCRIPTIONS": SUB,
            "OFFHOURS_KINDS": "vms",
            "OFFHOURS_SNOOZE_KEY_SECRET": f"{fake.url}/vaults/offhours/secrets/snooze-key",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        fake.add_secret("offhours", "snooze-key", KEY.decode())
        # The VM has no tags: it takes its schedule (and team) from its resource group.
        fake.add_resource_group(SUB, "dev-rg", tags={"schedule": inline, "team": "ml"})
        vm = fake.add_vm(SUB, "dev-rg", "dev-vm", "Standard_D4s_v5", "westeurope")

        azure_function_app.scheduler._function.get_user_function()(SimpleNamespace(past_due=False))
        links = _links_of(bodies, "dev-vm")
        assert len(links) == 4 and KEEP_1H in links

        snooze = azure_function_app.snooze._function.get_user_function()
        request = func.HttpRequest(
            "POST",
            "https://offhours.azurewebsites.net/api/snooze",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            params=query_of(links[KEEP_1H]),
            body=urlencode({"confirm": "yes"}).encode(),
        )
        answer = snooze(request)
        assert answer.status_code == 200, answer.get_body()
        until = stop + timedelta(hours=1)
        assert fake.vm("dev-vm").tags == {OVERRIDE: f"running-until-{until:%Y%m%dt%H%M}z"}
        assert vm.power_state == "running"
        [row] = [
            r for r in read_records(LocalStore(tmp_path / "ledger")) if r["x_Action"] == "snooze"
        ]
        assert (row["ResourceName"], row["x_Schedule"]) == ("dev-vm", inline)


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")
