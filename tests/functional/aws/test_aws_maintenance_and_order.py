"""A simulated week through the real job on moto: an EC2 box off at night runs through
the SSM maintenance window its tag names and is off again after it, with no savings
booked for those hours; an RDS database and the EC2 app that needs it (``offhours-order``)
never have the app up while the database is down, in any run.

SSM maintenance windows as the AWS Systems Manager API (2014-11-06) describes them:
``CreateMaintenanceWindow`` with ``Schedule`` ``cron(0 2 ? * SUN *)``,
``ScheduleTimezone``, ``Duration`` and ``Cutoff`` (hours); ``DescribeMaintenanceWindows``
returns them in ``WindowIdentities`` (moto 5.2.6 serves both)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from aws_kit import at, make_job, run, settings_for

from functions.cli.demo_windows import order_lines, window_lines
from ledger.summary import window_summary
from sandbox.aws_fleet import Box, instance_states, launch

# The week of Mon 2026-11-23; Europe/Berlin is UTC+1 then, so the window
# "Sun 02:00-04:00 Berlin" is Sun 2026-11-29 01:00-03:00 UTC, entered at 00:50.
SUNDAY = 6
WINDOW = {"Schedule": "cron(0 2 ? * SUN *)", "ScheduleTimezone": "Europe/Berlin"}


def week(step: timedelta, extra: tuple[datetime, ...] = ()) -> list[datetime]:
    instants = set(extra)
    when = at(0, 0)
    while when < at(7, 0):
        instants.add(when)
        when += step
    return sorted(instants)


def make_db(clients: Any, name: str, tags: dict[str, str]) -> None:
    clients.rds.create_db_instance(
        DBInstanceIdentifier=name,
        DBInstanceClass="db.t3.medium",
        Engine="postgres",
        MasterUsername="admin",
        MasterUserPassword="password123",
        AllocatedStorage=20,
        Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
    )


def db_status(clients: Any, name: str) -> str:
    found = clients.rds.describe_db_instances(DBInstanceIdentifier=name)
    return str(found["DBInstances"][0]["DBInstanceStatus"])


def test_a_box_off_at_night_runs_through_its_ssm_window_and_books_no_savings_for_it(
    clients: Any, tmp_path: Any, clock: Any, calls: Any
) -> None:
    clients.ssm.create_maintenance_window(
        Name="patch-sunday", Duration=2, Cutoff=1, AllowUnassociatedTargets=False, **WINDOW
    )
    launch(
        clients.ec2,
        Box(
            "patched",
            "t3.medium",
            {"schedule": "office-hours", "maintenance-window": "patch-sunday"},
        ),
    )
    launch(clients.ec2, Box("plain", "t3.medium", {"schedule": "office-hours"}))
    job = make_job(settings_for(tmp_path, ["ec2"]), clock, calls)
    seen: dict[datetime, str] = {}
    extra = (at(SUNDAY, 0, 45), at(SUNDAY, 0, 50), at(SUNDAY, 2, 30))
    for when in week(timedelta(hours=1), extra):
        run(job, clock, when)
        seen[when] = instance_states(clients.ec2)["patched"]
        assert instance_states(clients.ec2)["plain"] == (
            "running" if when.weekday() < 5 and 8 <= when.hour < 19 else "stopped"
        )
    assert seen[at(SUNDAY, 0, 0)] == seen[at(SUNDAY, 0, 45)] == "stopped"
    assert seen[at(SUNDAY, 0, 50)] == seen[at(SUNDAY, 2, 30)] == "running"
    assert seen[at(SUNDAY, 3, 0)] == seen[at(SUNDAY, 23, 0)] == "stopped"
    assert seen[at(5, 12, 0)] == "stopped"  # Saturday: no window, the schedule keeps it off

    records = [r for r in _rows(job) if r["ResourceName"] == "patched"]
    start = next(r for r in records if r["x_RecordedAt"] == "2026-11-29T00:50:00Z")
    assert (start["x_Action"], start["x_Trigger"]) == ("start", "maintenance")
    assert start["x_Reason"].startswith("office-hours: off, maintenance window patch-sunday")
    # The off-period from Friday 19:00 closes where the window is entered.
    assert start["ChargePeriodStart"] == "2026-11-27T19:00:00Z"
    assert start["x_AvoidedHours"] == pytest.approx(29 + 50 / 60)
    stop = next(r for r in records if r["x_RecordedAt"] == "2026-11-29T03:00:00Z")
    assert (stop["x_Action"], stop["x_Outcome"], stop["x_Trigger"]) == (
        "stop",
        "done",
        "maintenance",
    )

    # What the demo's report says about it.
    assert window_lines(_rows(job)) == [
        "maintenance window: patched: start Sun 00:50, stop Sun 03:00 UTC; "
        "no savings booked for those hours\n"
    ]
    summary = {s.name: s for s in window_summary(job.store, at(0, 0), at(7, 0))}
    # 113 off hours in the week, less the hour after the last run (Sunday 23:00: nothing
    # is claimed past what a run saw), less the window entered 10 minutes early.
    assert summary["plain"].hours_off == pytest.approx(112)
    assert summary["patched"].hours_off == pytest.approx(112 - 2 - 10 / 60)
    assert summary["patched"].failures == 0 and not summary["patched"].problems
    # The digest: the window's start and stop are actions done, not failures.
    from functions.jobs.digest import render_digest

    paths = render_digest(job.store, at(0, 0), at(7, 0), tmp_path / "digest", now=at(7, 0))
    text = next(p for p in paths if p.suffix == ".txt").read_text()
    assert ", 0 failed" in text


def test_a_tag_naming_no_window_is_that_box_s_problem(
    clients: Any, tmp_path: Any, clock: Any, calls: Any
) -> None:
    launch(
        clients.ec2,
        Box("typo", "t3.medium", {"schedule": "office-hours", "maintenance-window": "patch-sundy"}),
    )
    launch(clients.ec2, Box("fine", "t3.medium", {"schedule": "office-hours"}))
    job = make_job(settings_for(tmp_path, ["ec2"]), clock, calls)
    report = run(job, clock, at(0, 20, 0))
    problem = next(d for d in report.decisions if d.resource.name == "typo")
    assert problem.problem
    assert "no SSM maintenance window named 'patch-sundy'" in problem.reason
    assert instance_states(clients.ec2) == {"typo": "running", "fine": "stopped"}


def test_an_ordered_pair_never_has_the_app_up_before_its_database(
    clients: Any, tmp_path: Any, clock: Any, calls: Any
) -> None:
    make_db(clients, "dev-db", {"schedule": "office-hours"})
    launch(
        clients.ec2,
        Box("dev-app", "t3.medium", {"schedule": "office-hours", "offhours-order": "1"}),
    )
    job = make_job(settings_for(tmp_path, ["ec2", "rds"]), clock, calls)
    reasons: dict[datetime, str] = {}
    ups = 0
    for when in week(timedelta(hours=1)):
        report = run(job, clock, when)
        app = instance_states(clients.ec2)["dev-app"]
        db = db_status(clients, "dev-db")
        # After every run: the app runs only with the database up, and the database
        # goes down only after the app.
        assert app != "running" or db == "available", when
        assert db == "available" or app == "stopped", when
        ups += app == "running"
        reasons[when] = next(d for d in report.decisions if d.resource.name != "dev-db").reason
        reasons[when] += (
            " | " + next(d for d in report.decisions if d.resource.name == "dev-db").reason
        )
    assert ups > 0
    # Monday morning: the database starts at 08:00; the app waits for it to be seen
    # running (the 09:00 run), then 5 minutes more, and starts with the 10:00 run.
    assert "waiting for order 0: dev-db not yet running" in reasons[at(0, 8, 0)]
    assert "waiting for order 0: dev-db running since Mon 09:00 UTC" in reasons[at(0, 9, 0)]
    # Evening: the app stops at 19:00, the database once the app is seen off.
    assert "waiting for order 1: dev-app not yet off" in reasons[at(0, 19, 0)]
    stops = {r["ResourceName"]: r["x_RecordedAt"] for r in _rows(job) if r["x_Action"] == "stop"}
    assert stops  # both were stopped at some point
    starts = sorted(
        (r["x_RecordedAt"], r["ResourceName"]) for r in _rows(job) if r["x_Action"] == "start"
    )
    assert starts[:2] == [("2026-11-23T08:00:00Z", "dev-db"), ("2026-11-23T10:00:00Z", "dev-app")]
    assert order_lines(_rows(job), ("dev-db", "dev-app")) == [
        "start order: dev-app came up after dev-db every morning "
        "(120, 120, 120, 120, 120 min later)\n"
    ]


def _rows(job: Any) -> list[dict[str, Any]]:
    from ledger.book import read_records

    return list(read_records(job.store))


def test_an_ambiguous_window_name_is_that_box_s_problem(
    clients: Any, tmp_path: Any, clock: Any, calls: Any
) -> None:
    """SSM window names need not be unique; two windows of one name need the window id."""
    ids = [
        clients.ssm.create_maintenance_window(
            Name="twice", Duration=2, Cutoff=1, AllowUnassociatedTargets=False, **WINDOW
        )["WindowId"]
        for _ in range(2)
    ]
    by_name = {"schedule": "office-hours", "maintenance-window": "twice"}
    launch(clients.ec2, Box("by-name", "t3.medium", by_name))
    launch(clients.ec2, Box("by-id", "t3.medium", {**by_name, "maintenance-window": ids[0]}))
    job = make_job(settings_for(tmp_path, ["ec2"]), clock, calls)
    run(job, clock, at(SUNDAY - 1, 20, 0))
    report = run(job, clock, at(SUNDAY, 1, 0))
    assert instance_states(clients.ec2) == {"by-name": "running", "by-id": "running"}
    named = next(d for d in report.decisions if d.resource.name == "by-name")
    assert named.problem and "2 SSM maintenance windows are named 'twice'" in named.reason
    started = next(d for d in report.decisions if d.resource.name == "by-id")
    assert (started.action.value, started.trigger) == ("start", "maintenance")
