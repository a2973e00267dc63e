"""The snooze HTTP Cloud Function under functions-framework (its Flask test client),
against the GCP fake: the key from Secret Manager, the label through setLabels."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from snooze_kit import KEY, OVERRIDE, links_for, query_of

from ledger.book import read_records
from providers.base import Resource, ResourceState
from providers.store import LocalStore
from sandbox.gcp_fake import start_gcp_fake

PROJECT, ZONE = "snooze-proj", "europe-west1-b"
SECRET = f"projects/{PROJECT}/secrets/offhours-snooze-key"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    import functions_framework

    tmp = tmp_path_factory.mktemp("gcp-snooze")
    with start_gcp_fake() as fake, pytest.MonkeyPatch.context() as env:
        for name, value in fake.credential_env(tmp).items():
            env.setenv(name, value)
        env.setenv("OFFHOURS_GCP_ENDPOINT_URL", fake.url)
        env.setenv("OFFHOURS_GCP_PROJECTS", PROJECT)
        env.setenv("OFFHOURS_LEDGER", str(tmp / "ledger"))
        env.setenv("OFFHOURS_SNOOZE_KEY_SECRET", SECRET)
        fake.add_project(PROJECT)
        fake.add_secret(PROJECT, "offhours-snooze-key", b"an older key, rotated away......")
        fake.add_secret(PROJECT, "offhours-snooze-key", KEY)
        source = Path(__file__).parents[2] / "functions" / "clouds" / "gcp_main.py"
        app = functions_framework.create_app(target="snooze_http", source=str(source))
        yield {"fake": fake, "client": app.test_client(), "store": LocalStore(tmp / "ledger")}


def vm(name: str) -> Resource:
    rid = f"projects/{PROJECT}/zones/{ZONE}/instances/{name}"
    return Resource(
        "gcp", PROJECT, "europe-west1", "instances", rid, name, {}, ResourceState.RUNNING
    )


def test_confirming_sets_the_label_and_books_the_snooze(cloud: dict[str, Any]) -> None:
    fake, client = cloud["fake"], cloud["client"]
    fake.add_instance(
        PROJECT, ZONE, "dev-gpu", "n1-standard-8", {"schedule": "office-hours", "team": "ml"}
    )
    stop = (datetime.now(UTC) + timedelta(minutes=10)).replace(second=0, microsecond=0)
    url = links_for(vm("dev-gpu"), stop)["keep-1h"]
    query = query_of(url)

    answer = client.get("/", query_string=query)
    assert answer.status_code == 200 and b"dev-gpu" in answer.data
    assert OVERRIDE not in fake.instance(PROJECT, ZONE, "dev-gpu")["labels"]

    answer = client.post("/", query_string=query, data={"confirm": "yes"})
    assert answer.status_code == 200, answer.data
    labels = fake.instance(PROJECT, ZONE, "dev-gpu")["labels"]
    until = stop + timedelta(hours=1)
    assert labels == {
        "schedule": "office-hours",
        "team": "ml",
        OVERRIDE: f"running-until-{until:%Y%m%dt%H%M}z",
    }
    [row] = [r for r in read_records(cloud["store"]) if r["ResourceName"] == "dev-gpu"]
    assert row["x_Action"] == "snooze" and row["ProviderName"] == "gcp"
    assert row["ListUnitPrice"] > 0

    assert client.post("/", query_string=query, data={"confirm": "yes"}).status_code == 409


def test_other_kinds_and_protected_vms_change_nothing(cloud: dict[str, Any]) -> None:
    fake, client = cloud["fake"], cloud["client"]
    fake.add_instance(
        PROJECT,
        ZONE,
        "prod-db",
        "e2-standard-4",
        {"schedule": "office-hours", "environment": "production"},
    )
    stop = datetime.now(UTC) + timedelta(minutes=10)
    group = Resource(
        "gcp",
        PROJECT,
        "europe-west1",
        "instance-groups",
        f"projects/{PROJECT}/zones/{ZONE}/instanceGroupManagers/web",
        "web",
        {},
        ResourceState.RUNNING,
    )
    answer = client.post("/", query_string=query_of(links_for(group, stop)["keep-1h"]))
    assert answer.status_code == 422 and b"instance template" in answer.data
    answer = client.post("/", query_string=query_of(links_for(vm("prod-db"), stop)["keep-2h"]))
    assert answer.status_code == 403
    assert answer.headers["Cache-Control"] == "no-store"
    assert OVERRIDE not in fake.instance(PROJECT, ZONE, "prod-db")["labels"]
    assert not [r for r in read_records(cloud["store"]) if r["ResourceName"] in ("web", "prod-db")]


def test_a_label_changed_since_the_read_is_kept(cloud: dict[str, Any]) -> None:
    from providers.base import ProviderConfig
    from providers.gcp.connection import GcpConnection
    from providers.gcp.override_tag import GcpOverrideDesk

    fake = cloud["fake"]
    fake.add_instance(PROJECT, ZONE, "dev-web", "e2-small", {"schedule": "office-hours"})
    connection = GcpConnection(ProviderConfig(accounts=(PROJECT,), endpoint_url=fake.url))
    desk = GcpOverrideDesk(connection, lambda: datetime.now(UTC))
    resource = desk.read(PROJECT, "europe-west1", "instances", vm("dev-web").id)
    # Someone labels the VM after the page was shown: the write reads it again first.
    live = fake.world.get_instance(PROJECT, ZONE, "dev-web")
    live["labels"]["team"] = "web"
    live["labelFingerprint"] = "changed="
    desk.write_override(resource, OVERRIDE, "running-until-20261201t2000z")
    assert fake.instance(PROJECT, ZONE, "dev-web")["labels"] == {
        "schedule": "office-hours",
        "team": "web",
        OVERRIDE: "running-until-20261201t2000z",
    }


def test_workbench_instances_and_vertex_endpoints_take_the_label(cloud: dict[str, Any]) -> None:
    """notebooks v2 ``instances.patch`` and aiplatform v1 ``endpoints.patch`` with
    ``updateMask=labels`` (their discovery documents), through the same function."""
    fake, client = cloud["fake"], cloud["client"]
    office = {"schedule": "office-hours", "team": "ml"}
    notebook = fake.add_workbench(PROJECT, ZONE, "nb-ana", "n1-standard-4", office)
    endpoint = fake.add_endpoint(PROJECT, "europe-west1", "777", "churn", office)
    stop = (datetime.now(UTC) + timedelta(minutes=10)).replace(second=0, microsecond=0)
    until = stop + timedelta(hours=2)
    for kind, name in (("workbench", notebook["name"]), ("vertex-endpoints", endpoint["name"])):
        res = Resource("gcp", PROJECT, "europe-west1", kind, name, name, {}, ResourceState.RUNNING)
        query = query_of(links_for(res, stop)["keep-2h"])
        answer = client.post("/", query_string=query, data={"confirm": "yes"})
        assert answer.status_code == 200, answer.data
    for labels in (
        fake.workbench(PROJECT, ZONE, "nb-ana")["labels"],
        fake.endpoint(PROJECT, "europe-west1", "777")["labels"],
    ):
        assert labels == {**office, OVERRIDE: f"running-until-{until:%Y%m%dt%H%M}z"}
    booked = {
        r["x_ApiResourceId"] for r in read_records(cloud["store"]) if r["x_Action"] == "snooze"
    }
    assert {notebook["name"], endpoint["name"]} <= booked
