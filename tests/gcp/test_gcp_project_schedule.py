"""Schedules by project, through the real job against the GCP fake.

Label a project ``schedule=office-hours`` and its unlabelled VMs follow it; a VM's own
label wins; ``schedule-override=opt-out`` still opts out; ``environment=prod`` on the
project protects every VM in it. The fake answers Resource Manager ``projects.get``
(``GET v3/{+name}``) with the ``Project`` of the cloudresourcemanager v3 discovery document
(bundled with google-api-python-client), ``labels`` a string map.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from gcp_helpers import ZONE

from functions.jobs.reconcile import reconcile
from functions.settings import Settings
from functions.wiring import build_job, connect
from ledger.book import read_records
from providers import KINDS, load
from sandbox.gcp_fake import GcpFake

WEDNESDAY = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)
LONG_AGO = datetime(2026, 11, 18, 8, 0, tzinfo=UTC)
DEV, PROD, OTHER = "dev-proj", "prod-proj", "other-proj"


def _seed(fake: GcpFake) -> None:
    fake.add_project(DEV, labels={"schedule": "office-hours", "team": "data"})
    fake.add_project(PROD, labels={"schedule": "office-hours", "environment": "prod"})
    fake.add_project(OTHER)
    vms = {
        (DEV, "web-1"): {},
        (DEV, "late-1"): {"schedule": "extended-hours"},
        (DEV, "kept-1"): {"schedule-override": "opt-out"},
        (PROD, "prod-1"): {},
        (OTHER, "bastion"): {},
        (OTHER, "own-1"): {"schedule": "office-hours"},
    }
    for (project, name), labels in vms.items():
        fake.add_instance(project, ZONE, name, "e2-standard-4", labels, started=LONG_AGO)
    fake.add_workbench(DEV, ZONE, "nb-1", "n1-standard-4")  # a notebook follows it too


def _status(fake: GcpFake, project: str) -> dict[str, str]:
    return {i["name"]: i["status"] for i in fake.instances(project)}


def test_a_labelled_project_schedules_its_unlabelled_vms_over_a_day(
    fake: GcpFake, built: Any, clock: Any, tmp_path: Any
) -> None:
    _seed(fake)
    for path in KINDS["gcp"].values():
        built.permissions.update(load(path).permissions)
    settings = (
        Settings(providers=("gcp",), ledger=str(tmp_path / "ledger"))
        .replace(gcp_projects=(DEV, PROD, OTHER), gcp_endpoint_url=fake.url)
        .replace(kinds=("instances", "workbench"))
    )
    reasons: dict[str, set[str]] = {}
    for step in range(0, 29, 2):  # every two hours, Wednesday 05:00 to Thursday 09:00 UTC
        clock.now = now = WEDNESDAY + timedelta(hours=step)
        job = build_job(settings, clock, connections={"gcp": connect(settings, "gcp")})
        report = reconcile(job)
        assert report.errors == []
        for decision in report.decisions:
            reasons.setdefault(decision.resource.name, set()).add(decision.reason)
        office, extended = 8 <= now.hour < 19, 7 <= now.hour < 22
        on, off = "RUNNING", "TERMINATED"
        assert _status(fake, DEV) == {
            "web-1": on if office else off,
            "late-1": on if extended else off,
            "kept-1": on,
        }, now
        assert _status(fake, PROD) == {"prod-1": on}
        notebook = fake.workbench(DEV, ZONE, "nb-1")["state"]
        assert notebook == ("ACTIVE" if office else "STOPPED"), now
        assert _status(fake, OTHER) == {"bastion": on, "own-1": on if office else off}

    assert all("schedule from project dev-proj" in r for r in reasons["web-1"] | reasons["nb-1"])
    assert not any("from project" in r for r in reasons["late-1"] | reasons["own-1"])
    assert reasons["kept-1"] == {"opted out (schedule-override=opt-out)"}
    assert reasons["prod-1"] == {"protected: environment=prod (on project prod-proj)"}
    # An unlabelled project is still listed by label on the server: its bastion never shows.
    assert "bastion" not in reasons

    rows = list(read_records(build_job(settings, clock).store))
    web = [r for r in rows if r["ResourceName"] == "web-1" and r["x_Outcome"] == "done"]
    # Runs at odd hours: off from the 05:00 run to the 09:00 one, and from Wednesday's
    # 19:00 run to Thursday's 09:00 one: 4 + 14 hours.
    assert sum(float(r["x_AvoidedHours"] or 0) for r in web) == 18
    assert {r["Tags"]["team"] for r in web} == {"data"}
    assert {r["x_Schedule"] for r in web} == {"office-hours"}
