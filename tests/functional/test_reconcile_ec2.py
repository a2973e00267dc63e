"""The reconcile job end to end on moto's EC2: instance state and ledger after runs at
fixed instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.jobs.reconcile import Job, reconcile
from functions.settings import Settings
from functions.wiring import build_job, connect
from ledger.book import read_records
from ledger.summary import window_summary
from sandbox.aws_fleet import Box, instance_states, launch, set_launch_time

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)  # office-hours in UTC: Mon-Fri 08:00-19:00


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute)


@pytest.fixture
def settings(tmp_path: Any) -> Settings:
    return Settings(providers=("aws",), ledger=str(tmp_path / "ledger"), kinds=("ec2",)).replace(
        aws_regions=("eu-west-1",)
    )


def make_job(settings: Settings, clock: Any, **changes: Any) -> Job:
    settings = settings.replace(**changes)
    return build_job(settings, clock, connections={"aws": connect(settings, "aws")})


def run(job: Job, clock: Any, when: datetime) -> Any:
    clock.now = when
    return reconcile(job)


def rows(job: Job) -> list[dict[str, Any]]:
    return list(read_records(job.store))


def test_a_full_week_books_exactly_the_hours_the_schedule_is_off(
    ec2: Any, settings: Settings, clock: Any
) -> None:
    launch(ec2, Box("dev", "t3.medium", {"schedule": "office-hours"}))
    launch(ec2, Box("gpu", "g5.xlarge", {"schedule": "mon-fri 07:00-22:00 UTC"}))
    job = make_job(settings, clock)
    step = at(0, 0)
    while step <= at(7, 0):
        run(job, clock, step)
        step += timedelta(minutes=15)
    summary = {s.resource_id: s for s in window_summary(job.store, at(0, 0), at(7, 0))}
    hours = {s.name: round(s.hours_off, 2) for s in summary.values()}
    # office-hours runs 5 x 11 h = 55 h of 168; the 07-22 schedule runs 5 x 15 h = 75 h.
    assert hours == {"dev": 168 - 55, "gpu": 168 - 75}
    dev = next(s for s in summary.values() if s.name == "dev")
    assert dev.hourly_price is not None
    assert dev.saved == pytest.approx(113 * dev.hourly_price)
    assert instance_states(ec2) == {"dev": "stopped", "gpu": "stopped"}


def test_stops_in_off_hours_and_starts_at_the_transition(
    ec2: Any, settings: Settings, clock: Any
) -> None:
    launch(ec2, Box("dev", "t3.medium", {"schedule": "office-hours"}))
    job = make_job(settings, clock)
    run(job, clock, at(0, 19, 5))
    assert instance_states(ec2)["dev"] == "stopped"
    run(job, clock, at(1, 8, 5))
    assert instance_states(ec2)["dev"] == "running"
    booked = [r for r in rows(job) if r["x_Action"] == "start"]
    assert len(booked) == 1
    assert booked[0]["x_AvoidedHours"] == pytest.approx(13.0)
    assert booked[0]["x_EstimatedSavings"] == pytest.approx(13.0 * booked[0]["ListUnitPrice"])


def test_a_missed_run_catches_up(ec2: Any, settings: Settings, clock: Any) -> None:
    launch(ec2, Box("dev", "t3.medium", {"schedule": "office-hours"}))
    job = make_job(settings, clock)
    run(job, clock, at(0, 18, 0))
    # The runs from 19:00 to 23:45 never happened: the next one still stops the box.
    run(job, clock, at(1, 0, 0))
    assert instance_states(ec2)["dev"] == "stopped"
    # No run during the morning transition either: the 10:00 run starts it.
    run(job, clock, at(1, 10, 0))
    assert instance_states(ec2)["dev"] == "running"


def test_a_box_stopped_by_hand_during_the_day_stays_stopped(
    ec2: Any, settings: Settings, clock: Any
) -> None:
    ids = {"dev": launch(ec2, Box("dev", "t3.medium", {"schedule": "office-hours"}))}
    job = make_job(settings, clock)
    run(job, clock, at(0, 9, 0))
    ec2.stop_instances(InstanceIds=[ids["dev"]])
    run(job, clock, at(0, 11, 0))
    assert instance_states(ec2)["dev"] == "stopped"


def test_a_box_started_by_hand_at_night_gets_a_grace_period(
    ec2: Any, settings: Settings, clock: Any
) -> None:
    instance = launch(ec2, Box("dev", "t3.medium", {"schedule": "office-hours"}, running=False))
    job = make_job(settings, clock)
    run(job, clock, at(0, 20, 0))
    ec2.start_instances(InstanceIds=[instance])
    set_launch_time(instance, at(0, 21, 0))
    run(job, clock, at(0, 21, 30))
    assert instance_states(ec2)["dev"] == "running"
    run(job, clock, at(0, 22, 15))
    assert instance_states(ec2)["dev"] == "stopped"


def test_protected_asg_and_bad_tags_are_left_alone_and_reported(
    ec2: Any, settings: Settings, clock: Any
) -> None:
    launch(ec2, Box("prod", "m5.large", {"schedule": "office-hours", "environment": "Prod"}))
    launch(
        ec2,
        Box(
            "worker",
            "t3.small",
            {"schedule": "office-hours", "aws:autoscaling:groupName": "workers"},
        ),
    )
    launch(ec2, Box("typo", "t3.small", {"schedule": "mon-fry 9-5"}))
    launch(ec2, Box("dev", "t3.small", {"schedule": "office-hours"}))
    job = make_job(settings, clock)
    report = run(job, clock, at(0, 20, 0))
    assert instance_states(ec2) == {
        "prod": "running",
        "worker": "running",
        "typo": "running",
        "dev": "stopped",
    }
    reasons = {d.resource.name: d.reason for d in report.decisions}
    assert reasons["prod"] == "protected: environment=Prod"
    assert "Auto Scaling group workers" in reasons["worker"]
    assert "bad schedule tag 'mon-fry 9-5'" in reasons["typo"]
    problems = [r for r in rows(job) if r["x_Action"] == "skip"]
    assert [p["ResourceName"] for p in problems] == ["typo"]
    # A problem is booked once, not on every run.
    run(job, clock, at(0, 20, 15))
    assert len([r for r in rows(job) if r["x_Action"] == "skip"]) == 1


def test_a_retried_run_does_not_double_count(ec2: Any, settings: Settings, clock: Any) -> None:
    launch(ec2, Box("dev", "t3.medium", {"schedule": "office-hours"}))
    job = make_job(settings, clock)
    run(job, clock, at(0, 20, 0))
    run(job, clock, at(1, 8, 15))
    run(job, clock, at(1, 8, 15))  # the same trigger delivered twice
    starts = [r for r in rows(job) if r["x_Action"] == "start"]
    assert len(starts) == 1
    total = sum(s.saved for s in window_summary(job.store, at(0, 0), at(2, 0)))
    assert total == pytest.approx(starts[0]["x_EstimatedSavings"])


def test_dry_run_changes_nothing_and_writes_nothing(
    ec2: Any, settings: Settings, clock: Any
) -> None:
    launch(ec2, Box("dev", "t3.medium", {"schedule": "office-hours"}))
    job = make_job(settings, clock, dry_run=True)
    report = run(job, clock, at(0, 20, 0))
    assert [(d.resource.name, d.action.value) for d in report.decisions] == [("dev", "stop")]
    assert [r.outcome.value for r in report.results] == ["dry-run"]
    assert instance_states(ec2)["dev"] == "running"
    assert list(job.store.list("")) == []


def test_override_keeps_a_box_running_until_it_expires(
    ec2: Any, settings: Settings, clock: Any
) -> None:
    launch(
        ec2,
        Box(
            "dev",
            "t3.medium",
            {"schedule": "office-hours", "schedule-override": "running-until-20261123t2200z"},
        ),
    )
    job = make_job(settings, clock)
    report = run(job, clock, at(0, 20, 0))
    assert instance_states(ec2)["dev"] == "running"
    assert "override" in report.decisions[0].reason
    report = run(job, clock, at(0, 22, 15))
    assert instance_states(ec2)["dev"] == "stopped"
    assert "expired" in report.decisions[0].reason


def test_stop_share_limit_refuses_a_mass_stop_unless_forced(
    ec2: Any, settings: Settings, clock: Any
) -> None:
    for i in range(4):
        launch(ec2, Box(f"dev-{i}", "t3.micro", {"schedule": "office-hours"}))
    job = make_job(settings, clock, max_stop_share=0.5)
    report = run(job, clock, at(0, 20, 0))
    assert set(instance_states(ec2).values()) == {"running"}
    assert all("refused" in d.reason for d in report.decisions)
    forced = make_job(settings, clock, max_stop_share=0.5, force=True)
    run(forced, clock, at(0, 20, 15))
    assert set(instance_states(ec2).values()) == {"stopped"}


def test_a_failed_start_is_retried_on_the_next_run(
    ec2: Any, settings: Settings, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError

    launch(ec2, Box("dev", "t3.medium", {"schedule": "office-hours"}))
    job = make_job(settings, clock)
    run(job, clock, at(0, 20, 0))
    client = job.connections["aws"].client("ec2", job.connections["aws"].targets()[0])  # type: ignore[attr-defined]
    real_start = client.start_instances

    def failing(**_: Any) -> Any:
        raise ClientError(
            {"Error": {"Code": "InsufficientInstanceCapacity", "Message": "x"}}, "StartInstances"
        )

    monkeypatch.setattr(client, "start_instances", failing)
    report = run(job, clock, at(1, 8, 5))
    assert [r.error.split(":")[0] for r in report.results] == ["InsufficientInstanceCapacity"]
    assert instance_states(ec2)["dev"] == "stopped"
    monkeypatch.setattr(client, "start_instances", real_start)
    run(job, clock, at(1, 8, 20))
    assert instance_states(ec2)["dev"] == "running"
    failed = [r for r in rows(job) if r["x_Outcome"] == "failed"]
    assert failed and failed[0]["x_Error"].startswith("InsufficientInstanceCapacity")


def test_a_kind_whose_discovery_failed_catches_up_its_start(
    ec2: Any, settings: Settings, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    launch(ec2, Box("dev", "t3.medium", {"schedule": "office-hours"}))
    job = make_job(settings, clock)
    run(job, clock, at(0, 20, 0))
    (adapter,) = job.adapters["aws"]

    def outage(target: Any) -> Any:
        raise RuntimeError("throttled to death")

    monkeypatch.setattr(adapter, "discover", outage)
    report = run(job, clock, at(1, 8, 5))  # the morning transition, but EC2 is unreachable
    assert report.errors == [
        "aws:123456789012/eu-west-1: ec2: discovery failed: throttled to death"
    ]
    monkeypatch.undo()
    run(job, clock, at(1, 8, 20))
    assert instance_states(ec2)["dev"] == "running"


def test_untagged_instances_are_inventoried_by_the_inventory_job_not_by_runs(
    ec2: Any, settings: Settings, clock: Any
) -> None:
    from functions.jobs.inventory import take_inventory
    from ledger.inventory import find_opportunities, read_inventory

    launch(ec2, Box("dev", "t3.medium", {"schedule": "office-hours"}))
    launch(ec2, Box("dev-forgotten", "g5.xlarge", {"team": "ml"}))
    launch(ec2, Box("prod-api", "m5.large", {"environment": "prod"}))
    job = make_job(settings, clock)
    run(job, clock, at(0, 9, 0))
    assert list(read_inventory(job.store)) == []  # a scheduling run takes no inventory
    clock.now = at(0, 9, 5)
    report = take_inventory(job, at(0, 9, 5))
    assert report.errors == []
    (snapshot,) = read_inventory(job.store)
    assert snapshot.taken_at == at(0, 9, 5)
    assert sorted(r.name for r in snapshot.resources) == ["dev", "dev-forgotten", "prod-api"]
    (opportunity,) = find_opportunities(snapshot.resources, running_hours_per_week=55)
    assert opportunity.resource.name == "dev-forgotten"
    price = opportunity.resource.price
    assert price is not None
    assert opportunity.weekly_saving == pytest.approx(113 * price.hourly, abs=0.01)
    assert instance_states(ec2) == {  # the inventory changes nothing
        "dev": "running",
        "dev-forgotten": "running",
        "prod-api": "running",
    }


def test_live_prices_setting_builds_a_price_source_per_cloud(
    ec2: Any, settings: Settings, clock: Any
) -> None:
    from providers.gcp.connection import connect as gcp_connect

    settings = settings.replace(live_prices=True)
    connections = {
        "aws": connect(settings, "aws"),
        "gcp": gcp_connect(settings.provider_config("gcp")),
    }
    job = build_job(settings, clock, connections=connections)  # type: ignore[arg-type]
    assert sorted(s.name for s in job.price_sources) == ["aws-price-list", "gcp-billing-catalog"]
    assert (
        build_job(settings.replace(live_prices=False), clock, connections=connections).price_sources
        == ()
    )  # type: ignore[arg-type]


def test_a_crash_between_state_and_ledger_is_finished_by_the_next_run(
    ec2: Any, settings: Settings, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.jobs import target_run
    from providers.store import StoreError

    launch(ec2, Box("dev", "t3.medium", {"schedule": "office-hours"}))
    job = make_job(settings, clock)
    run(job, clock, at(0, 20, 0))

    def crash(*_: Any) -> int:
        raise StoreError("the ledger bucket went away")

    monkeypatch.setattr(target_run, "write_run", crash)
    report = run(job, clock, at(1, 8, 5))  # starts the box, then cannot write the ledger
    assert "the ledger bucket went away" in report.errors[0]
    assert instance_states(ec2)["dev"] == "running"
    monkeypatch.undo()
    run(job, clock, at(1, 8, 20))
    run(job, clock, at(1, 8, 35))
    starts = [r for r in rows(job) if r["x_Action"] == "start"]
    assert len(starts) == 1 and starts[0]["x_AvoidedHours"] == pytest.approx(12 + 5 / 60)
