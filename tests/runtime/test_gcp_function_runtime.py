"""The GCP source zip, run the way Cloud Functions (2nd gen, python312) runs it.

What is reproduced: the zip infra/package.py builds is unzipped; its requirements.txt is
installed for Python 3.12 into a folder of its own, as the build installs it (cached in
~/.cache/offhours/runtime/ under the file's hash, so a second run reuses it); functions-framework,
from those requirements, serves the entry point the Terraform module names
(``entry_point``) from ``main.py`` with the CloudEvent signature, in ``python3.12 -S``
with only the source and that folder on the path, and the environment the module sets
(``local.env``). The test posts what Eventarc delivers for a Pub/Sub message: a binary
CloudEvent of type ``google.cloud.pubsub.topic.v1.messagePublished`` whose data is the
push envelope, the message body being the Cloud Scheduler job's. The GCP APIs are the
local fake; the ledger goes to the GCS emulator.

Not reproduced: Cloud Build's buildpack image and Cloud Run's container, IAM (the fake
checks that a token from its own token endpoint comes with each call, not what it allows).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from runtime_kit import ROOT, build, clean_env, python312, unzip

from sandbox.gcp_fake import start_gcp_fake
from sandbox.gcp_fake.demo import DEMO_PROJECT, ZONE, seed_demo_project
from sandbox.gcs_emulator import emulator_binary, start_gcs_emulator

sys.path.insert(0, str(ROOT / "tests" / "infra"))
from infra_kit import TERRAFORM, blocks, load_hcl

PYTHON = python312()
pytestmark = [
    pytest.mark.skipif(PYTHON is None, reason="no python3.12 on this machine (python312)"),
    pytest.mark.skipif(emulator_binary() is None, reason="gcp-storage-emulator is not installed"),
]
# Keyed by the requirements file's hash, so a cached install is exactly that file's.
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "offhours" / "runtime"
BUCKET = "offhours-ledger-smoke"
SCHEDULED = "2026-11-23T21:00:00Z"  # Monday 21:00 UTC: office-hours is off


def terraform_env_names() -> set[str]:
    for block in load_hcl(TERRAFORM / "gcp" / "main.tf")["locals"]:
        if "env" in block:
            return set(block["env"])
    raise AssertionError("infra/terraform/gcp/main.tf sets no env")


def entry_point() -> str:
    variables = dict(blocks(load_hcl(TERRAFORM / "gcp" / "variables.tf"), "variable"))
    name: str = variables["entry_point"]["default"]
    return name


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gcp-dist")
    build("gcp", out)
    return unzip(out / "offhours-gcp.zip", tmp_path_factory.mktemp("workspace"))


@pytest.fixture(scope="module")
def site_packages(source: Path) -> Path:
    """requirements.txt installed for Python 3.12, as the function's build does."""
    assert PYTHON is not None
    requirements = (source / "requirements.txt").read_bytes()
    target = CACHE / f"gcp-{hashlib.sha256(requirements).hexdigest()[:16]}"
    if not (target / ".complete").exists():
        shutil.rmtree(target, ignore_errors=True)
        subprocess.run(
            [
                *(PYTHON, "-m", "pip", "install", "-q", "--disable-pip-version-check"),
                *("--target", str(target), "-r", str(source / "requirements.txt")),
            ],
            check=True,
            capture_output=True,
            timeout=500,
        )
        (target / ".complete").touch()
    return target


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def clouds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with start_gcp_fake(lambda: datetime(2026, 11, 23, 9, tzinfo=UTC)) as fake:
        seed_demo_project(fake)
        # Application Default Credentials: a service account whose token_uri is the fake.
        credentials = fake.credential_env(tmp_path_factory.mktemp("gcp-credentials"))
        with start_gcs_emulator() as storage:
            from google.auth.credentials import AnonymousCredentials
            from google.cloud import storage as gcs

            client = gcs.Client(
                project=DEMO_PROJECT,
                credentials=AnonymousCredentials(),
                client_options={"api_endpoint": storage},
            )
            client.create_bucket(BUCKET)
            yield {
                "fake": fake,
                "storage": storage,
                "client": client,
                "credentials": credentials,
            }


def function_env(clouds: dict[str, Any], port: int) -> dict[str, str]:
    env = {
        "LOG_LEVEL": "INFO",
        "OFFHOURS_PROVIDERS": "gcp",
        "OFFHOURS_LEDGER": f"gs://{BUCKET}/offhours",
        "OFFHOURS_TAG_KEY": "schedule",
        "OFFHOURS_DEFAULT_TZ": "UTC",
        "OFFHOURS_PROTECTED": "environment=prod|production",
        "OFFHOURS_DRY_RUN": "false",
        "OFFHOURS_GCP_PROJECTS": DEMO_PROJECT,
        "OFFHOURS_GCP_ORGANIZATION": "",
        "OFFHOURS_TIMEOUT_SECONDS": "540",
    }
    assert set(env) == terraform_env_names()  # what the module sets, no more
    return {
        **env,
        **clouds["credentials"],
        "OFFHOURS_GCP_ENDPOINT_URL": clouds["fake"].url,
        "OFFHOURS_STORE_ENDPOINT_URL": clouds["storage"],
        "PORT": str(port),
        "K_SERVICE": "offhours-scheduler",
        "FUNCTION_TARGET": entry_point(),
        "FUNCTION_SIGNATURE_TYPE": "cloudevent",
    }


def pubsub_cloudevent(body: dict[str, Any]) -> tuple[dict[str, str], bytes]:
    """What Eventarc posts for one message on the trigger topic (binary content mode)."""
    message = {
        "data": base64.b64encode(json.dumps(body).encode()).decode(),
        "messageId": "17254821063725112",
        "publishTime": "2026-11-23T21:00:03.512Z",
    }
    envelope = {"message": message, "subscription": "projects/p/subscriptions/eventarc-sub"}
    headers = {
        "Content-Type": "application/json",
        "ce-id": message["messageId"],
        "ce-specversion": "1.0",
        "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
        "ce-source": f"//pubsub.googleapis.com/projects/{DEMO_PROJECT}/topics/offhours-tick",
        "ce-time": message["publishTime"],
    }
    return headers, json.dumps(envelope).encode()


def post(url: str, headers: dict[str, str], body: bytes) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as err:
        return err.code


@pytest.fixture(scope="module")
def delivered(
    source: Path, site_packages: Path, clouds: dict[str, Any], tmp_path_factory: Any
) -> Iterator[dict[str, Any]]:
    assert PYTHON is not None
    port = free_port()
    log = tmp_path_factory.mktemp("gcp-log") / "function.log"
    env = clean_env(
        **function_env(clouds, port),
        PYTHONPATH=os.pathsep.join([str(source), str(site_packages)]),
        HOME=str(source),
    )
    command = [PYTHON, "-S", "-m", "functions_framework", "--source", "main.py"]
    command += ["--target", entry_point(), "--signature-type", "cloudevent"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with log.open("w") as sink:
        process = subprocess.Popen(command, cwd=source, env=env, stdout=sink, stderr=sink)
        try:
            url = f"http://127.0.0.1:{port}/"
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise AssertionError(log.read_text()) from None
                    time.sleep(0.2)
            headers, body = pubsub_cloudevent({"scheduled_time": SCHEDULED})
            first = post(url, headers, body)
            blobs = sorted(b.name for b in clouds["client"].list_blobs(BUCKET, prefix="offhours/"))
            again = post(url, headers, body)  # a redelivery of the same message
            yield {"first": first, "again": again, "blobs": blobs, "log": log}
        finally:
            process.terminate()
            process.wait(timeout=20)


def test_a_pubsub_event_runs_the_scheduler(
    delivered: dict[str, Any], clouds: dict[str, Any]
) -> None:
    assert delivered["first"] == 200, delivered["log"].read_text()[-4000:]
    fake = clouds["fake"]
    assert fake.instance(DEMO_PROJECT, ZONE, "dev-alice")["status"] == "TERMINATED"
    assert fake.instance(DEMO_PROJECT, ZONE, "bastion")["status"] == "RUNNING"  # untagged
    assert [b for b in delivered["blobs"] if b.startswith("offhours/ledger/")]


def test_a_redelivery_books_nothing_twice(
    delivered: dict[str, Any], clouds: dict[str, Any]
) -> None:
    assert delivered["again"] == 200
    after = sorted(b.name for b in clouds["client"].list_blobs(BUCKET, prefix="offhours/ledger/"))
    assert after == [b for b in delivered["blobs"] if b.startswith("offhours/ledger/")]


def test_logs_are_cloud_logging_json(delivered: dict[str, Any]) -> None:
    records = []
    for line in delivered["log"].read_text().splitlines():
        if line.startswith("{"):
            records.append(json.loads(line))
    finished = [r for r in records if r.get("message") == "run finished"]
    assert len(finished) == 2 and all(r["severity"] == "INFO" for r in finished)
    # A redelivery is a run of its own at the same instant (run ids are unique per call).
    assert finished[0]["run_id"][:16] == finished[1]["run_id"][:16]
    assert (
        finished[0]["actions"].get("stop-done", 0) + finished[0]["actions"].get("stop-accepted", 0)
        >= 1
    )
