"""``seed_demo_more`` seeds one of each AWS kind the way the demo uses it, and one job with
every registered AWS kind schedules them all."""

from __future__ import annotations

from typing import Any

import boto3
from aws_kit import REGION, at, make_job, run, settings_for

from sandbox.aws_more import sagemaker_follows, seed_demo_more


def test_every_kind_of_the_demo_is_scheduled(
    aws: None, tmp_path: Any, clock: Any, calls: Any
) -> None:
    seeded = seed_demo_more(boto3.Session(region_name=REGION), REGION, week_start=at(0, 0))
    job = make_job(settings_for(tmp_path, []), clock, calls)
    with sagemaker_follows(clock):
        morning = run(job, clock, at(0, 10, 0))
        evening = run(job, clock, at(0, 19, 5))
        night = run(job, clock, at(0, 23, 0))  # extended-hours ends later
    acted = {
        (r.resource.name, r.decision.action.value)
        for report in (morning, evening, night)
        for r in report.results
        if r.outcome.value == "done"
    }
    assert acted == {
        ("idle-endpoint", "scale-down"),
        ("dev-postgres", "stop"),
        ("analytics-aurora", "stop"),
        ("web-workers", "scale-down"),
        ("api", "scale-down"),
        ("research-p3", "stop"),
        ("workshop-p2", "stop"),
    }
    assert morning.errors == evening.errors == night.errors == []
    kinds = {d.resource.name: d.resource.kind for d in morning.decisions}
    assert {name: kinds[name] for name in seeded} == seeded
    prices = {d.resource.name: d.resource.price for d in morning.decisions}
    assert all(prices[name] is not None for name in seeded)
