"""Documented limits of Vertex AI endpoints, driven through the reconcile job on the fake.

Source: the Vertex AI v1 discovery document bundled with google-api-python-client
(``aiplatform.v1.json``, revision 20261106): ``DeployedModel.id`` "If not provided upon
deployment, Vertex AI will generate a value for this ID. This value should be 1-10
characters, and valid characters are /[0-9]/", and ``DeployModelRequest.trafficSplit``
("0" names the model being deployed).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from gcp_helpers import PROJECT, REGION
from limits_job import MORNING, NIGHT, booked_hours, decision, limits_job, result, rows, run

from functions.jobs.reconcile import Job
from providers.base import Action, Outcome
from providers.gcp.connection import GcpConnection
from sandbox.gcp_fake import GcpFake

MODEL = f"projects/{PROJECT}/locations/{REGION}/models"
# Ids Vertex AI generated when the models were first deployed (19 digits).
VERTEX_IDS = ("6287360512346767360", "1918283746501928374")


def _deployed(model_id: str, name: str) -> dict[str, Any]:
    return {
        "id": model_id,
        "model": f"{MODEL}/{name}",
        "modelVersionId": "3",
        "displayName": name,
        "dedicatedResources": {
            "machineSpec": {"machineType": "n1-standard-4"},
            "minReplicaCount": 1,
            "maxReplicaCount": 1,
        },
    }


@pytest.fixture
def job(built: Any, connection: GcpConnection, clock: Any, tmp_path: Any) -> Job:
    return limits_job("vertex-endpoints", built, connection, clock, str(tmp_path / "ledger"))


def test_the_fake_refuses_a_19_digit_deployed_model_id(
    fake: GcpFake, connection: GcpConnection, built: Any
) -> None:
    """A caller-supplied ``DeployedModel.id`` of 19 digits is refused with the Google error
    shape (400 INVALID_ARGUMENT); the same request without an id gets a 19-digit one."""
    built.permissions.update(("aiplatform.endpoints.deploy", "aiplatform.models.deploy"))
    fake.add_endpoint(PROJECT, REGION, "77", "churn", {}, [])
    url = f"{fake.url}/{REGION}-aiplatform.googleapis.com/v1/projects/{PROJECT}/locations/"
    url += f"{REGION}/endpoints/77:deployModel"
    session = connection.session()

    refused = session.post(url, json={"deployedModel": _deployed(VERTEX_IDS[0], "churn")})

    assert refused.status_code == 400
    assert refused.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert "1-10 characters" in refused.json()["error"]["message"]
    model = {k: v for k, v in _deployed("", "churn").items() if k != "id"}
    accepted = session.post(url, json={"deployedModel": model})
    assert accepted.status_code == 200, accepted.text


def test_redeploy_lets_vertex_assign_the_ids_and_restores_the_split(
    fake: GcpFake, job: Job, clock: Any
) -> None:
    """Undeployed at night, redeployed in the morning without the old 19-digit ids (the
    fake refuses them, as the discovery document says): Vertex assigns new ids, the
    saved split follows the models to their new ids, and the night is booked."""
    models = [_deployed(VERTEX_IDS[0], "churn"), _deployed(VERTEX_IDS[1], "churn-canary")]
    split = {VERTEX_IDS[0]: 80, VERTEX_IDS[1]: 20}
    fake.add_endpoint(PROJECT, REGION, "77", "churn", {"schedule": "office-hours"}, models, split)

    run(job, clock, NIGHT)
    assert fake.endpoint(PROJECT, REGION, "77")["deployedModels"] == []

    morning = run(job, clock, MORNING)

    assert result(morning, "churn").outcome is Outcome.DONE
    endpoint = fake.endpoint(PROJECT, REGION, "77")
    by_id = {m["id"]: m["model"].rsplit("/", 1)[-1] for m in endpoint["deployedModels"]}
    assert sorted(by_id.values()) == ["churn", "churn-canary"]
    assert not set(by_id) & set(VERTEX_IDS)  # new ids, assigned by Vertex
    assert {by_id[k]: v for k, v in endpoint["trafficSplit"].items()} == {
        "churn": 80,
        "churn-canary": 20,
    }
    assert booked_hours(job, "churn") == 13.0


def test_a_redeploy_stopped_part_way_is_finished_by_the_next_run(
    fake: GcpFake, job: Job, clock: Any
) -> None:
    """A deploy operation still running at the deadline stops the redeploy there (the
    next model's traffic split names the first one's id). While it runs the endpoint lists
    no new model (``endpoints.operations.list`` shows it not done): the next run waits
    instead of deploying it twice; once it is done, the models still missing are deployed
    and the saved split restored, and the night is booked once, up to the run that saw
    the endpoint whole again."""
    models = [_deployed(VERTEX_IDS[0], "churn"), _deployed(VERTEX_IDS[1], "churn-canary")]
    split = {VERTEX_IDS[0]: 80, VERTEX_IDS[1]: 20}
    fake.add_endpoint(PROJECT, REGION, "77", "churn", {"schedule": "office-hours"}, models, split)
    run(job, clock, NIGHT)
    fake.hold_operation("77", "deployModel")

    morning = run(job, clock, MORNING)
    assert result(morning, "churn").outcome is Outcome.ACCEPTED
    waiting = run(job, clock, MORNING + timedelta(minutes=15))
    assert decision(waiting, "churn").action is Action.SKIP  # the deploy still runs
    assert fake.endpoint(PROJECT, REGION, "77")["deployedModels"] == []

    fake.settle()  # the first model is back, the second was never sent
    assert len(fake.endpoint(PROJECT, REGION, "77")["deployedModels"]) == 1
    again = run(job, clock, MORNING + timedelta(minutes=30))

    assert decision(again, "churn").action is Action.SCALE_UP
    endpoint = fake.endpoint(PROJECT, REGION, "77")
    by_id = {m["id"]: m["model"].rsplit("/", 1)[-1] for m in endpoint["deployedModels"]}
    assert sorted(by_id.values()) == ["churn", "churn-canary"]
    assert {by_id[k]: v for k, v in endpoint["trafficSplit"].items()} == {
        "churn": 80,
        "churn-canary": 20,
    }
    assert [(r["x_Action"], r["x_Outcome"]) for r in rows(job, "churn")] == [
        ("scale-down", "done"),
        ("scale-up", "accepted"),
        ("scale-up", "done"),
    ]
    assert booked_hours(job, "churn") == 13.5  # 19:30 to 09:00, when it was whole again
