"""The Azure package, loaded the way the Python worker indexes a v2 app, both timers run.

What is reproduced: the zip infra/package.py builds (dependencies vendored under
``.python_packages/lib/site-packages`` for Linux x86_64, Python 3.12) is unzipped and run
by ``python3.12 -S`` with only the script root and its ``.python_packages`` on the path
(tests/runtime/azure_worker.py: the worker's indexing of ``function_app.py``, its
function.json, the library's own TimerRequest decoding, the root logger at Information as
host.json sets it). The environment holds every app setting the Terraform module gives
the app, with values pointing at the local ARM fake and Azurite, and the SMTP relay of the
digest at an in-process aiosmtpd server (STARTTLS off for that local relay only).

Not reproduced: the Functions host itself (timer schedules, the storage-backed timer
monitor, Application Insights), the managed identity (the ARM fake takes any token).
"""

from __future__ import annotations

import email
import email.policy
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from runtime_kit import ROOT, build, clean_env, python312, unzip

from providers.azure.blob_store import _service
from sandbox.azure_fake import start_azure_fake
from sandbox.azurite import azurite_installed, start_azurite

sys.path.insert(0, str(ROOT / "tests" / "infra"))
from infra_kit import TERRAFORM, load_hcl

PYTHON = python312()
pytestmark = [
    pytest.mark.skipif(PYTHON is None, reason="no python3.12 on this machine (Azure runtime)"),
    pytest.mark.skipif(not azurite_installed(), reason="Azurite is not installed (npm ci)"),
]
HARNESS = Path(__file__).with_name("azure_worker.py")
SUBSCRIPTION = "5ca1ab1e-0ff0-4a0e-9d0e-0000000005e0"
SDK_LOGGERS = ("azure.core", "azure.identity", "azure.storage", "azure.mgmt")


def terraform_app_settings() -> set[str]:
    for block in load_hcl(TERRAFORM / "azure" / "main.tf")["locals"]:
        if "app_settings" in block:
            return set(block["app_settings"])
    raise AssertionError("infra/terraform/azure/main.tf sets no app_settings")


@pytest.fixture(scope="module")
def script_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("azure-dist")
    build("azure", out)
    return unzip(out / "offhours-azure.zip", tmp_path_factory.mktemp("wwwroot"))


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 OK"


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[int, Inbox]]:
    import socket

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def clouds() -> Iterator[dict[str, Any]]:
    # The app reads the wall clock: always-off is off whatever the hour of the test.
    with start_azure_fake() as fake, start_azurite() as blob:
        # The module creates the ledger container (azurerm_storage_container.ledger).
        _service("devstoreaccount1", blob).create_container("offhours-ledger")
        fake.add_subscription(SUBSCRIPTION, "smoke")
        fake.add_vm(
            SUBSCRIPTION, "dev-rg", "dev-vm", "Standard_D2s_v5", "westeurope",
            tags={"schedule": "always-off", "team": "web"},
        )  # fmt: skip
        fake.add_vm(
            SUBSCRIPTION, "prod-rg", "prod-vm", "Standard_D2s_v5", "westeurope",
            tags={"schedule": "always-off", "environment": "prod"},
        )  # fmt: skip
        yield {"fake": fake, "blob": blob}


def app_settings(clouds: dict[str, Any], smtp_port: int) -> dict[str, str]:
    settings = {
        "LOG_LEVEL": "INFO",
        "OFFHOURS_CRON": "0 */15 * * * *",
        "OFFHOURS_RUN_INTERVAL_MINUTES": "15",
        "OFFHOURS_DIGEST_CRON": "0 0 8 * * 1",
        "OFFHOURS_INVENTORY_CRON": "0 30 5 * * *",
        "OFFHOURS_PROVIDERS": "azure",
        "OFFHOURS_LEDGER": "azblob://devstoreaccount1/offhours-ledger/offhours",
        "OFFHOURS_AZURE_SUBSCRIPTIONS": SUBSCRIPTION,
        "OFFHOURS_TAG_KEY": "schedule",
        "OFFHOURS_DEFAULT_TZ": "UTC",
        "OFFHOURS_PROTECTED": "environment=prod|production",
        "OFFHOURS_DRY_RUN": "false",
        "AzureFunctionsJobHost__logging__logLevel__default": "Information",
        "OFFHOURS_DIGEST_TRANSPORT": "smtp",
        "OFFHOURS_DIGEST_TZ": "UTC",
        "OFFHOURS_DIGEST_TO": "finops@example.com",
        "OFFHOURS_DIGEST_SENDER": "offhours@example.com",
        "OFFHOURS_SMTP_HOST": "127.0.0.1",
        "OFFHOURS_SMTP_PORT": str(smtp_port),
        "OFFHOURS_SMTP_USERNAME": "",
        "OFFHOURS_SMTP_PASSWORD": "",
        "OFFHOURS_SNOOZE_KEY_SECRET": "",  # snooze links off (tests/snooze covers them)
    }
    # Every setting the module gives the app, and no other, then the local endpoints.
    assert set(settings) == terraform_app_settings()
    return {
        **settings,
        # The app's identity: the real credential chain against the fake's tenant.
        **clouds["fake"].credential_env(),
        "OFFHOURS_AZURE_ENDPOINT_URL": clouds["fake"].url,
        "OFFHOURS_STORE_ENDPOINT_URL": clouds["blob"],
        "OFFHOURS_SMTP_STARTTLS": "false",
        "FUNCTIONS_WORKER_RUNTIME": "python",
    }


def run_worker(root: Path, env: dict[str, str], *functions: str) -> list[dict[str, Any]]:
    assert PYTHON is not None
    done = subprocess.run(
        [PYTHON, "-S", str(HARNESS), str(root), *functions],
        cwd=root,
        env=clean_env(**env, HOME=str(root)),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-4000:]
    return lines


@pytest.fixture(scope="module")
def ran(script_root: Path, clouds: dict[str, Any], smtp: tuple[int, Inbox]) -> list[dict[str, Any]]:
    env = app_settings(clouds, smtp[0])
    return run_worker(script_root, env, "scheduler", "inventory", "digest")


def test_the_worker_indexes_both_timers(ran: list[dict[str, Any]]) -> None:
    (indexed,) = [line["indexed"] for line in ran if "indexed" in line]
    assert set(indexed) == {"scheduler", "inventory", "digest", "snooze"}
    # The snooze links: an anonymous HTTP trigger (the signed token is the authorisation).
    (http,) = [b for b in indexed["snooze"]["bindings"] if b["type"] == "httpTrigger"]
    assert http["authLevel"].lower() == "anonymous" and http["route"] == "snooze"
    schedules = {
        name: binding["schedule"]
        for name, spec in indexed.items()
        for binding in spec["bindings"]
        if binding["type"] == "timerTrigger"
    }
    # %NAME% binding expressions: the host resolves them from app settings.
    assert schedules == {
        "scheduler": "%OFFHOURS_CRON%",
        "inventory": "%OFFHOURS_INVENTORY_CRON%",
        "digest": "%OFFHOURS_DIGEST_CRON%",
    }
    names = {s.strip("%") for s in schedules.values()}
    assert names <= terraform_app_settings()


def test_the_scheduler_deallocates_and_spares_the_protected(
    ran: list[dict[str, Any]], clouds: dict[str, Any]
) -> None:
    assert {"invoked": "scheduler", "ok": True} in ran
    assert clouds["fake"].vm("dev-vm").power_state == "deallocated"
    assert clouds["fake"].vm("prod-vm").power_state == "running"


def test_the_inventory_timer_writes_the_snapshot(
    ran: list[dict[str, Any]], clouds: dict[str, Any]
) -> None:
    from ledger.inventory import read_inventory
    from providers.azure.blob_store import BlobStore

    assert {"invoked": "inventory", "ok": True} in ran
    store = BlobStore(
        "azblob://devstoreaccount1/offhours-ledger/offhours", endpoint_url=clouds["blob"]
    )
    (snapshot,) = read_inventory(store)
    assert {"dev-vm", "prod-vm"} <= {r.name for r in snapshot.resources}


def test_the_digest_is_sent(ran: list[dict[str, Any]], smtp: tuple[int, Inbox]) -> None:
    """The digest used to die on every run: it imported providers.aws, which the Azure
    package leaves out."""
    failures = [line["error"] for line in ran if line.get("ok") is False]
    assert not failures, failures
    assert {"invoked": "digest", "ok": True} in ran
    (to, raw), *_ = smtp[1].messages
    assert to == ["finops@example.com"]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",))
    assert text is not None
    # A week with nothing saved says so in words instead of drawing empty bars.
    html = message.get_body(preferencelist=("html",))
    assert html is not None
    assert 'id="daily-chart"' in str(html.get_content()) or "Nothing was saved this week" in str(
        text.get_content()
    )


def test_sdk_http_traces_stay_below_info(ran: list[dict[str, Any]]) -> None:
    """The SDK's HTTP logging policy logs every request and response at INFO; at the host's
    Information level that buried the app's own records (126 of 138 in one run)."""
    records = [line for line in ran if "logger" in line]
    sdk = [r for r in records if r["logger"].startswith(SDK_LOGGERS)]
    noisy = [r for r in sdk if r["level"] in ("DEBUG", "INFO")]
    assert not noisy, f"{len(noisy)} of {len(records)} records are SDK traces: {noisy[:3]}"
    assert [r for r in records if r["logger"] == "offhours"]
