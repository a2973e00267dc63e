"""Documented limits of Vertex AI Workbench instances, driven through the reconcile job.

Source: the Notebooks API v2 discovery document bundled with google-api-python-client
(``notebooks.v2.json``, revision 20261006): ``Instance.state`` has ``STARTING``,
``PROVISIONING``, ``ACTIVE``, ``STOPPING``, ``STOPPED``, ``DELETED``, ``UPGRADING``,
``INITIALIZING``, ``SUSPENDING``, ``SUSPENDED`` and ``ORPHANED`` ("The instance has no VM");
``projects.locations.instances`` has ``start`` and ``stop`` but no ``resume``.
"""

from __future__ import annotations

from typing import Any

import pytest
from gcp_helpers import PROJECT, SCHEDULE, ZONE
from limits_job import MORNING, NIGHT, booked_hours, decision, limits_job, rows, run

from functions.jobs.reconcile import Job
from providers.base import Action
from providers.gcp.connection import GcpConnection
from sandbox.gcp_fake import GcpFake


@pytest.fixture
def job(built: Any, connection: GcpConnection, clock: Any, tmp_path: Any) -> Job:
    return limits_job("workbench", built, connection, clock, str(tmp_path / "ledger"))


def _state(fake: GcpFake, name: str) -> str:
    return str(fake.workbench(PROJECT, ZONE, name)["state"])


def test_the_fake_does_not_resume_a_suspended_instance_with_start(
    fake: GcpFake, connection: GcpConnection, built: Any
) -> None:
    """No ``resume`` method in the v2 API: ``start`` is refused for a SUSPENDED instance
    (FAILED_PRECONDITION, the Google error shape) and the instance stays suspended."""
    built.permissions.add("notebooks.instances.start")
    fake.add_workbench(PROJECT, ZONE, "nap", "e2-standard-4", SCHEDULE, state="SUSPENDED")
    url = f"{fake.url}/notebooks.googleapis.com/v2/projects/{PROJECT}/locations/{ZONE}"

    answer = connection.session().post(f"{url}/instances/nap:start", json={})

    assert answer.status_code == 400
    assert answer.json()["error"]["status"] == "FAILED_PRECONDITION"
    assert _state(fake, "nap") == "SUSPENDED"


def test_a_suspended_instance_is_left_alone_with_the_reason(
    fake: GcpFake, job: Job, clock: Any
) -> None:
    """A SUSPENDED instance cannot be brought back through the API (no ``resume``): it is
    neither stopped nor started, the plan says why, and nothing is booked."""
    fake.add_workbench(PROJECT, ZONE, "nap", "e2-standard-4", SCHEDULE, state="SUSPENDED")
    fake.add_workbench(PROJECT, ZONE, "lab", "e2-standard-4", SCHEDULE)

    night = run(job, clock, NIGHT)
    morning = run(job, clock, MORNING)

    for report in (night, morning):
        skipped = decision(report, "nap")
        assert skipped.action is Action.SKIP
        assert skipped.reason.startswith("suspended outside offhours: the Notebooks API has no")
    assert _state(fake, "nap") == "SUSPENDED"
    assert _state(fake, "lab") == "ACTIVE"  # the rest was scheduled: stopped, then back
    assert booked_hours(job, "lab") == 13.0
    assert [r for r in rows(job, "nap") if r["x_Outcome"] in ("done", "accepted")] == []


def test_an_orphaned_instance_is_left_alone_with_the_reason(
    fake: GcpFake, job: Job, clock: Any
) -> None:
    """ORPHANED: "The instance has no VM. An upgrade removed the original and could not
    create its replacement" (v2 ``Instance.state``): nothing to stop, the plan says why."""
    fake.add_workbench(PROJECT, ZONE, "lost", "e2-standard-4", SCHEDULE, state="ORPHANED")

    night = run(job, clock, NIGHT)

    skipped = decision(night, "lost")
    assert skipped.action is Action.SKIP and skipped.reason.startswith("orphaned:")
    assert _state(fake, "lost") == "ORPHANED"
    assert booked_hours(job, "lost") == 0


@pytest.mark.parametrize("state", ["UPGRADING", "INITIALIZING", "SUSPENDING", "PROVISIONING"])
def test_an_instance_in_a_passing_state_waits_for_the_next_run(
    fake: GcpFake, job: Job, clock: Any, state: str
) -> None:
    """UPGRADING, INITIALIZING, SUSPENDING, PROVISIONING (v2 ``Instance.state``) are on
    their way somewhere: no action now (the fake refuses ``stop`` in the first three), the next run
    decides; once ACTIVE again it is stopped as usual."""
    fake.add_workbench(PROJECT, ZONE, "busy", "e2-standard-4", SCHEDULE, state=state)

    night = run(job, clock, NIGHT)

    assert decision(night, "busy").action is Action.SKIP
    assert "transitional" in decision(night, "busy").reason
    assert _state(fake, "busy") == state
    with fake.world.lock:
        fake.world.workbench[f"projects/{PROJECT}/locations/{ZONE}/instances/busy"]["state"] = (
            "ACTIVE"
        )
    later = run(job, clock, NIGHT.replace(hour=20))
    assert decision(later, "busy").action is Action.STOP
    assert _state(fake, "busy") == "STOPPED"
