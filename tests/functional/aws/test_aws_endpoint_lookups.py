"""A SageMaker endpoint deleted to zero lives on as its saved spec; a run lists the saved
specs (one store LIST per target) only when the target's state says one can exist (an
open off-period or an intent of the kind), or on the target's first run of a UTC day
(``functions/jobs/saved_lookup.py``). Driven through the reconcile job on moto; the LISTs
are the store requests the run's meter counted (``providers/metering.py``), as the run
report shows them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_kit import TARGET, at, decision_for, make_job, result_for, run, settings_for

from providers.base import Action, Resource, state_key
from providers.metering import STORE_LISTS, Meter
from providers.restore import NAME, RestoreStore
from providers.store import ObjectStore, StoreError
from sandbox.aws_more import backdate_sagemaker, create_endpoint

TAGS = {"schedule": "office-hours", "team": "ml"}


class Counted:
    """The job's meter, read per run."""

    def __init__(self) -> None:
        self.meter = Meter()
        self._seen = 0

    def lists(self) -> int:
        now = self.meter.counts().get(STORE_LISTS, 0)
        since, self._seen = now - self._seen, now
        return since


class BookingFails:
    """A store whose state writes fail once armed, after the first (the intents): a run
    that deleted an endpoint fails its booking, leaving its intent in the state, as a run
    killed after its calls would."""

    def __init__(self, inner: ObjectStore) -> None:
        self.inner = inner
        self.armed = False
        self._state_writes = 0

    def put_if(self, key: str, data: bytes, version: str) -> str:
        if self.armed and key.endswith("run-state.json"):
            self._state_writes += 1
            if self._state_writes > 1:
                raise StoreError("store unavailable")
        return self.inner.put_if(key, data, version)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture
def counted() -> Iterator[Counted]:
    yield Counted()


def seed(clients: Any, name: str = "scoring") -> None:
    create_endpoint(clients.sagemaker, name, "ml.m5.large", TAGS, model="scorer", count=2)
    backdate_sagemaker(at(-1, 0), "123456789012")


def exists(sagemaker: Any, name: str) -> bool:
    return any(e["EndpointName"] == name for e in sagemaker.list_endpoints()["Endpoints"])


def test_the_endpoint_deleted_at_night_comes_back_and_quiet_runs_list_nothing(
    clients: Any, sagemaker: Any, clock: Any, calls: Any, counted: Counted, tmp_path: Path
) -> None:
    seed(clients)
    settings = settings_for(tmp_path, ["sagemaker-endpoints"])
    job = make_job(settings, clock, calls, meter=counted.meter)

    run(job, clock, at(0, 9, 0))
    assert counted.lists() >= 1  # the target's first run of the day: the daily sweep
    report = run(job, clock, at(0, 9, 15))
    assert decision_for(report, "scoring").action is Action.SKIP
    assert counted.lists() == 0  # quiet: nothing saved, nothing listed

    report = run(job, clock, at(0, 19, 5))
    assert result_for(report, "scoring").outcome.value == "done"
    assert not exists(sagemaker, "scoring")
    counted.lists()
    # Deleted, the endpoint is its saved spec: the open off-period makes each run list.
    report = run(job, clock, at(0, 19, 20))
    assert "already off" in decision_for(report, "scoring").reason
    assert counted.lists() >= 1

    report = run(job, clock, at(1, 8, 5))
    assert decision_for(report, "scoring").action is Action.SCALE_UP
    assert exists(sagemaker, "scoring")
    run(job, clock, at(1, 8, 20))  # sees it in service: the spec is forgotten
    counted.lists()
    report = run(job, clock, at(1, 8, 35))
    assert decision_for(report, "scoring").action is Action.SKIP
    assert counted.lists() == 0
    assert not [k for k in job.store.list("state/") if k.endswith("/" + NAME)]


def test_a_run_that_died_after_the_delete_leaves_an_intent_and_the_next_run_adopts_it(
    clients: Any, sagemaker: Any, clock: Any, calls: Any, counted: Counted, tmp_path: Path
) -> None:
    seed(clients)
    settings = settings_for(tmp_path, ["sagemaker-endpoints"])
    job = make_job(settings, clock, calls, meter=counted.meter)
    run(job, clock, at(0, 18, 30))
    failing = BookingFails(job.store)
    job = _with_store(job, failing)

    failing.armed = True
    report = run(job, clock, at(0, 19, 5))
    assert result_for(report, "scoring").outcome.value == "done"
    assert any("state not written" in e for e in report.errors)
    assert not exists(sagemaker, "scoring")
    failing.armed = False
    counted.lists()

    # Same day, no off-period booked: the intent alone makes the next run list and adopt.
    report = run(job, clock, at(0, 19, 20))
    assert counted.lists() >= 1
    assert "already off" in decision_for(report, "scoring").reason
    report = run(job, clock, at(1, 8, 5))
    assert decision_for(report, "scoring").action is Action.SCALE_UP
    assert exists(sagemaker, "scoring")


def test_a_spec_no_state_names_is_found_by_the_next_days_first_run(
    clients: Any, sagemaker: Any, clock: Any, calls: Any, counted: Counted, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, ["sagemaker-endpoints"])
    job = make_job(settings, clock, calls, meter=counted.meter)
    run(job, clock, at(0, 9, 0))
    orphan = Resource(
        "aws", TARGET.account, TARGET.region, "sagemaker-endpoints", "lost", "lost", {}, "running"
    )
    spec = {"endpoint_name": "lost", "config_name": "lost-config", "tags": TAGS}
    RestoreStore(job.store).save(orphan, spec, at(0, 9, 5))
    assert job.store.get(state_key(orphan, NAME)) is not None

    report = run(job, clock, at(0, 9, 15))
    assert "lost" not in [d.resource.name for d in report.decisions]
    report = run(job, clock, at(1, 0, 5))
    assert "lost" in [d.resource.name for d in report.decisions]


def _with_store(job: Any, store: Any) -> Any:
    from dataclasses import replace

    return replace(job, store=store)
