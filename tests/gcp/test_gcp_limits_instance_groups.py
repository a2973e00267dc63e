"""Documented limits of managed instance groups, driven through the reconcile job.

Source: the Compute Engine v1 discovery document bundled with google-api-python-client
(``compute.v1.json``, revision 20261106), ``instanceGroupManagers.resize`` and
``listManagedInstances``; "Configuring stateful MIGs"
(https://cloud.google.com/compute/docs/instance-groups/configuring-stateful-migs).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from gcp_helpers import PROJECT, SCHEDULE, ZONE, restored
from limits_job import MORNING, NIGHT, booked_hours, decision, limits_job, result, rows, run

from functions.jobs.reconcile import Job
from providers.base import Action, Outcome
from providers.gcp.connection import GcpConnection
from providers.gcp.mig_members import STATEFUL
from sandbox.gcp_fake import GcpFake


@pytest.fixture
def job(fake: GcpFake, built: Any, connection: GcpConnection, clock: Any, tmp_path: Any) -> Job:
    fake.add_template(PROJECT, "workers-v1", "n2-standard-4", SCHEDULE)
    return limits_job("instance-groups", built, connection, clock, str(tmp_path / "ledger"))


def _members(fake: GcpFake, name: str) -> dict[str, str]:
    return {i["name"]: i["status"] for i in fake.instances(PROJECT) if i["name"].startswith(name)}


def test_resize_down_is_accepted_until_the_members_are_gone(
    fake: GcpFake, job: Job, clock: Any
) -> None:
    """The resize operation is DONE "when the resize actions are scheduled even if the
    group has not yet added or deleted any instances" (compute v1, resize): the fake keeps
    the members until they are carried out. The stop stays ``accepted``, nothing is booked
    until ``listManagedInstances`` shows them gone, then the night is booked from the
    accepted instant and the group comes back in the morning."""
    fake.add_mig(PROJECT, ZONE, "slow", "workers-v1", 3)
    fake.add_mig(PROJECT, ZONE, "quick", "workers-v1", 2)
    fake.hold_members("slow")

    night = run(job, clock, NIGHT)

    held = result(night, "slow")
    assert held.outcome is Outcome.ACCEPTED
    assert "member action(s) still pending" in held.detail
    assert fake.mig(PROJECT, ZONE, "slow")["targetSize"] == 0
    assert len(_members(fake, "slow-")) == 3  # scheduled for deletion, still there
    assert result(night, "quick").outcome is Outcome.DONE
    assert _members(fake, "quick-") == {}
    assert not [r for r in rows(job, "slow") if r["x_Outcome"] == "done"]
    assert (restored(job.store, held.resource) or {})["previous_size"] == 3

    later = run(job, clock, NIGHT + timedelta(minutes=15))  # still deleting
    assert decision(later, "slow").action is Action.SKIP
    assert not [r for r in rows(job, "slow") if r["x_Outcome"] == "done"]

    fake.settle()
    run(job, clock, NIGHT + timedelta(minutes=30))
    [confirmed] = [r for r in rows(job, "slow") if r["x_Outcome"] == "done"]
    assert confirmed["x_Reason"].startswith("confirmed")
    assert confirmed["ChargePeriodStart"] == "2026-11-23T19:30:00Z"

    run(job, clock, MORNING)
    assert fake.mig(PROJECT, ZONE, "slow")["targetSize"] == 3
    assert set(_members(fake, "slow-").values()) == {"RUNNING"}
    assert booked_hours(job, "slow") == 13.0 and booked_hours(job, "quick") == 13.0


def test_resize_up_keeps_the_saved_size_until_the_members_are_back(
    fake: GcpFake, job: Job, clock: Any
) -> None:
    """A resize back is ``done`` only when ``listManagedInstances`` shows every member
    created with no action pending (compute v1, resize); until then it is ``accepted``,
    the saved size stays, and the savings are booked once a later run sees it back."""
    fake.add_mig(PROJECT, ZONE, "web", "workers-v1", 2)
    run(job, clock, NIGHT)
    assert fake.mig(PROJECT, ZONE, "web")["targetSize"] == 0
    fake.hold_members("web")

    morning = run(job, clock, MORNING)

    back = result(morning, "web")
    assert back.outcome is Outcome.ACCEPTED
    assert set(_members(fake, "web-").values()) == {"PROVISIONING"}
    assert (restored(job.store, back.resource) or {})["previous_size"] == 2
    assert booked_hours(job, "web") == 0

    fake.settle()
    run(job, clock, MORNING + timedelta(minutes=15))
    assert set(_members(fake, "web-").values()) == {"RUNNING"}
    assert booked_hours(job, "web") == 13.0


def test_a_stateful_group_is_left_alone_with_the_reason(
    fake: GcpFake, job: Job, clock: Any
) -> None:
    """A stateful MIG does not keep an instance's name or stateful metadata when the
    instance is deleted by resizing ("Configuring stateful MIGs", limitations; compute v1
    ``InstanceGroupManager.status.stateful.hasStatefulConfig``): it is not resized."""
    fake.add_mig(PROJECT, ZONE, "db", "workers-v1", 2, stateful_disk="data")

    night = run(job, clock, NIGHT)

    skipped = decision(night, "db")
    assert skipped.action is Action.SKIP and skipped.reason == STATEFUL
    assert fake.mig(PROJECT, ZONE, "db")["targetSize"] == 2
    assert set(_members(fake, "db-").values()) == {"RUNNING"}
    run(job, clock, MORNING)
    assert booked_hours(job, "db") == 0


def test_an_autoscaled_group_is_left_alone_with_the_reason(
    fake: GcpFake, job: Job, clock: Any
) -> None:
    """An autoscaler keeps a group's size between its minimum and maximum replicas, so a
    resize to 0 is undone (compute v1 ``InstanceGroupManager.status.autoscaler``; "Autoscaling
    groups of instances", https://cloud.google.com/compute/docs/autoscaler): not resized."""
    fake.add_mig(PROJECT, ZONE, "auto", "workers-v1", 2, autoscaled=True)

    night = run(job, clock, NIGHT)

    skipped = decision(night, "auto")
    assert skipped.action is Action.SKIP and skipped.reason.startswith("autoscaled by auto-as")
    assert fake.mig(PROJECT, ZONE, "auto")["targetSize"] == 2
    run(job, clock, MORNING)
    assert booked_hours(job, "auto") == 0
