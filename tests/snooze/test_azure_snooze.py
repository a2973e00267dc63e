"""The snooze HTTP trigger of the Azure Functions app against the ARM fake: the key from
its Key Vault, the tag through one Tags - Update At Scope (Merge)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from snooze_kit import KEY, OVERRIDE, links_for, query_of

from ledger.book import read_records
from providers.base import Resource, ResourceState
from providers.store import LocalStore
from sandbox.azure_fake.server import start_azure_fake

SUB = "5e5e5e5e-0000-4000-8000-000000000001"


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("azure-snooze")
    with start_azure_fake() as fake, pytest.MonkeyPatch.context() as env:
        for name, value in {
            **fake.credential_env(),
            "OFFHOURS_AZURE_ENDPOINT_URL": fake.url,
            "OFFHOURS_AZURE_SUBSCRIPTIONS": SUB,
            "OFFHOURS_LEDGER": str(tmp / "ledger"),
            "OFFHOURS_SNOOZE_KEY_SECRET": f"{fake.url}/vaults/offhours/secrets/snooze-key",
        }.items():
            env.setenv(name, value)
        fake.add_secret("offhours", "snooze-key", KEY.decode())
        from functions.clouds import azure_function_app

        # The registered function itself: app.get_functions() may build the app once only.
        function = azure_function_app.snooze._function
        assert function.get_function_name() == "snooze"
        yield {
            "fake": fake,
            "call": function.get_user_function(),
            "store": LocalStore(tmp / "ledger"),
        }


def post(cloud: dict[str, Any], url: str, method: str = "POST") -> Any:
    import azure.functions as func

    body = urlencode({"confirm": "yes"}).encode() if method == "POST" else b""
    request = func.HttpRequest(
        method,
        "https://offhours.azurewebsites.net/api/snooze",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        params=query_of(url),
        body=body,
    )
    return cloud["call"](request)


def azure(kind: str, rid: str) -> Resource:
    return Resource(
        "azure", SUB, "westeurope", kind, rid, rid.rsplit("/", 1)[-1], {}, ResourceState.RUNNING
    )


def test_confirming_merges_the_override_tag(cloud: dict[str, Any]) -> None:
    fake = cloud["fake"]
    vm = fake.add_vm(
        SUB,
        "dev-rg",
        "dev-vm",
        "Standard_D4s_v5",
        "westeurope",
        {"Schedule": "office-hours", "owner": "ana@example.com"},
    )
    stop = (datetime.now(UTC) + timedelta(minutes=10)).replace(second=0, microsecond=0)
    url = links_for(azure("vms", vm.id), stop)["keep-until-08"]

    answer = post(cloud, url, "GET")
    assert answer.status_code == 200 and b"dev-vm" in answer.get_body()
    assert OVERRIDE not in fake.vm("dev-vm").tags

    answer = post(cloud, url)
    assert answer.status_code == 200, answer.get_body()
    tags = fake.vm("dev-vm").tags
    assert tags["Schedule"] == "office-hours" and tags["owner"] == "ana@example.com"
    assert tags[OVERRIDE].startswith("running-until-")
    [row] = [r for r in read_records(cloud["store"]) if r["ResourceName"] == "dev-vm"]
    assert row["x_Action"] == "snooze" and row["ListUnitPrice"] > 0
    assert ("PATCH", f"{vm.id}/providers/Microsoft.Resources/tags/default") in fake.requests
    assert post(cloud, url).status_code == 409


def test_other_kinds_take_the_same_tag_call_and_protected_ones_none(
    cloud: dict[str, Any],
) -> None:
    fake = cloud["fake"]
    aks = fake.add_aks(SUB, "ml-rg", "train-aks", "westeurope", {"schedule": "office-hours"})
    prod = fake.add_vm(
        SUB,
        "prod-rg",
        "prod-vm",
        "Standard_D2s_v5",
        "westeurope",
        {"schedule": "office-hours", "Environment": "Prod"},
    )
    stop = datetime.now(UTC) + timedelta(minutes=10)
    assert post(cloud, links_for(azure("aks", aks.id), stop)["keep-1h"]).status_code == 200
    assert fake.aks("train-aks").tags[OVERRIDE].startswith("running-until-")
    assert post(cloud, links_for(azure("vms", prod.id), stop)["keep-1h"]).status_code == 403
    assert OVERRIDE not in fake.vm("prod-vm").tags
    assert not [r for r in read_records(cloud["store"]) if r["ResourceName"] == "prod-vm"]


def test_an_app_without_a_snooze_key_has_the_links_off() -> None:
    import azure.functions as func

    from functions.clouds.azure_snooze import respond

    request = func.HttpRequest("GET", "https://x.azurewebsites.net/api/snooze", body=b"")
    page, headers = respond(request, {"OFFHOURS_PROVIDERS": "azure"})
    assert page.status == 503 and headers["Cache-Control"] == "no-store"
