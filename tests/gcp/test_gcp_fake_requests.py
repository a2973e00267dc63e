"""The fake checks each request against Google's discovery documents (``contract``).

Sources: the discovery documents bundled with google-api-python-client
(``discovery_cache/documents``): compute v1 (revision 20261106), notebooks v2 (20261006),
aiplatform v1 (20261106). A request off the published contract gets 400 INVALID_ARGUMENT
in the Google error shape (``{"error": {"code", "message", "status", "errors"}}``); the
requests the adapters send through a whole night and morning of the demo fleet all pass.
"""

from __future__ import annotations

from typing import Any

import pytest
from gcp_helpers import PROJECT, REGION, SCHEDULE, ZONE

from functions.jobs.reconcile import reconcile
from functions.settings import Settings
from functions.wiring import build_job, connect
from providers import KINDS, load
from sandbox.gcp_fake import GcpFake
from sandbox.gcp_fake.contract import find
from sandbox.gcp_fake.demo import DEMO_PROJECT, seed_demo_project

COMPUTE = "compute.googleapis.com/compute/v1"


def _refused(answer: Any, words: str) -> None:
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT" and error["code"] == 400
    assert words in error["message"]


@pytest.fixture
def session(fake: GcpFake, connection: Any, built: Any) -> Any:
    built.permissions.update(
        (
            "compute.instances.stop",
            "compute.instanceGroupManagers.update",
            "aiplatform.endpoints.deploy",
            "aiplatform.models.deploy",
        )
    )
    fake.add_instance(PROJECT, ZONE, "vm", "e2-medium", SCHEDULE)
    return connection.session()


def test_an_unknown_query_parameter_is_refused(fake: GcpFake, session: Any) -> None:
    """``instances.stop`` defines ``discardLocalSsd``, ``noGracefulShutdown`` and
    ``requestId``; a misspelt name cannot be bound, and nothing is stopped."""
    url = f"{fake.url}/{COMPUTE}/projects/{PROJECT}/zones/{ZONE}/instances/vm/stop"

    _refused(session.post(url, params={"discardLocalSSD": "true"}), "Cannot bind query parameter")
    _refused(session.post(url, params={"discardLocalSsd": "maybe"}), "TYPE_BOOL")

    assert fake.instance(PROJECT, ZONE, "vm")["status"] == "RUNNING"


def test_a_required_query_parameter_is_enforced(fake: GcpFake, session: Any) -> None:
    """``instanceGroupManagers.resize``: ``size`` is a required integer query parameter."""
    fake.add_template(PROJECT, "t", "e2-medium", SCHEDULE)
    fake.add_mig(PROJECT, ZONE, "web", "t", 2)
    url = f"{fake.url}/{COMPUTE}/projects/{PROJECT}/zones/{ZONE}/instanceGroupManagers/web/resize"

    _refused(session.post(url), "Required parameter 'size'")
    _refused(session.post(url, params={"size": "two"}), "TYPE_INT32")

    assert fake.mig(PROJECT, ZONE, "web")["targetSize"] == 2


def test_body_fields_and_enums_follow_the_request_schema(fake: GcpFake, session: Any) -> None:
    """``endpoints.deployModel`` takes a ``GoogleCloudAiplatformV1DeployModelRequest``: a
    field it does not define, at any depth, and an ``acceleratorType`` off its enum are
    refused; the endpoint keeps no model."""
    fake.add_endpoint(PROJECT, REGION, "5", "e", {}, [])
    url = f"{fake.url}/{REGION}-aiplatform.googleapis.com/v1/projects/{PROJECT}/locations/"
    url += f"{REGION}/endpoints/5:deployModel"
    model = {
        "model": f"projects/{PROJECT}/locations/{REGION}/models/m",
        "dedicatedResources": {"machineSpec": {"machineType": "n1-standard-4"}},
    }

    _refused(session.post(url, json={"deployedModel": model, "split": {}}), 'Unknown name "split"')
    wrong = {**model, "dedicatedResources": {"machineSpec": {"gpu": "t4"}}}
    _refused(session.post(url, json={"deployedModel": wrong}), 'Unknown name "gpu"')
    bad_enum = {"machineType": "n1-standard-4", "acceleratorType": "NVIDIA_T4000"}
    enum = {**model, "dedicatedResources": {"machineSpec": bad_enum}}
    _refused(session.post(url, json={"deployedModel": enum}), "TYPE_ENUM")

    assert fake.endpoint(PROJECT, REGION, "5")["deployedModels"] == []


def test_every_request_of_a_night_and_a_morning_is_in_the_published_contract(
    fake: GcpFake, built: Any, clock: Any, tmp_path: Any
) -> None:
    """The demo fleet (every kind, the Local SSD VMs, a MIG, Workbench, an endpoint)
    through a night and a morning: every request maps to a discovery-document method
    (and passed its checks: the fake refuses the others), and no run failed."""
    seed_demo_project(fake)
    for path in KINDS["gcp"].values():
        built.permissions.update(load(path).permissions)
    settings = Settings(providers=("gcp",), ledger=str(tmp_path / "ledger")).replace(
        gcp_projects=(DEMO_PROJECT,), gcp_endpoint_url=fake.url
    )
    job = build_job(settings, clock, connections={"gcp": connect(settings, "gcp")})
    reports = []
    for when in ("2026-11-23T21:00:00+00:00", "2026-11-24T08:15:00+00:00"):
        clock.now = clock.now.fromisoformat(when)
        reports.append(reconcile(job))

    assert [r.errors for r in reports] == [[], []]
    assert not [r for report in reports for r in report.results if r.outcome.value == "failed"]
    served = {(m, p) for m, p in fake.requests}
    outside = sorted((m, p) for m, p in served if find(m, p) is None)
    assert outside == []
    assert any(p.endswith("/listManagedInstances") for _, p in served)
