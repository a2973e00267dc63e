"""A reconcile job on the GCP fake for the limits tests: one kind, a night and a morning.

The job is built as the entry points build it (Settings -> wiring), so a limit test drives
the real adapter, planner and ledger, and reads back the resource and the ledger rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gcp_helpers import PROJECT

from functions.jobs.reconcile import Job, reconcile
from functions.settings import Settings
from functions.wiring import build_job
from ledger.book import read_records
from providers import KINDS, load
from providers.base import Decision, Result
from providers.gcp.connection import GcpConnection

NIGHT = datetime(2026, 11, 23, 19, 30, tzinfo=UTC)  # Monday: office-hours is off
MORNING = datetime(2026, 11, 24, 8, 30, tzinfo=UTC)  # Tuesday: office-hours is on


def limits_job(kind: str, built: Any, connection: GcpConnection, clock: Any, ledger: str) -> Job:
    built.permissions.update(load(KINDS["gcp"][kind]).permissions)
    settings = Settings(providers=("gcp",), ledger=ledger).replace(gcp_projects=(PROJECT,))
    return build_job(settings.replace(kinds=(kind,)), clock, connections={"gcp": connection})


def run(job: Job, clock: Any, when: datetime) -> Any:
    clock.now = when
    return reconcile(job)


def decision(report: Any, name: str) -> Decision:
    [found] = [d for d in report.decisions if d.resource.name == name]
    return found


def result(report: Any, name: str) -> Result:
    [found] = [r for r in report.results if r.resource.name == name]
    return found


def rows(job: Job, name: str) -> list[dict[str, Any]]:
    """The ledger rows about ``name`` that book or refuse something, in the order they
    were written (still-off checkpoints left out: they say a period is open)."""
    return [
        r
        for r in read_records(job.store)
        if r["ResourceName"] == name and r["x_Action"] != "still-off"
    ]


def booked_hours(job: Job, name: str) -> float:
    return sum(float(r["x_AvoidedHours"] or 0) for r in rows(job, name))
