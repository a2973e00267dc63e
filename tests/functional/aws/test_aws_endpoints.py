"""Idle SageMaker endpoints on moto through the reconcile job: an endpoint with no
invocations over its window is deleted after its recreation data is saved, and comes back
with the same configuration and tags when its schedule turns on or on ``wake``; an endpoint
with traffic is left alone; an endpoint whose data cannot be saved is never deleted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_kit import (
    ACCOUNT,
    TARGET,
    at,
    decision_for,
    make_job,
    result_for,
    rows,
    run,
    settings_for,
)

from providers.aws.sagemaker_endpoints import SageMakerEndpoints
from providers.base import Action, AdapterOptions, Decision, ProviderConfig, state_key
from providers.prices import bundled_price
from providers.restore import RestoreStore
from providers.store import LocalStore, StoreError
from sandbox.aws_more import (
    backdate_sagemaker,
    create_endpoint,
    put_invocations,
)

TAGS = {"schedule": "office-hours", "idle-stop": "60m", "team": "ml"}


def seed(clients: Any, endpoints: dict[str, dict[str, str]], busy: tuple[str, ...] = ()) -> None:
    for name, tags in endpoints.items():
        create_endpoint(clients.sagemaker, name, "ml.m5.large", tags, model="scorer", count=2)
    backdate_sagemaker(at(-1, 0), ACCOUNT)
    for name in busy:
        put_invocations(clients.cloudwatch, name, at(-1, 0), days=9, per_step=40)


def exists(sagemaker: Any, name: str) -> bool:
    return any(e["EndpointName"] == name for e in sagemaker.list_endpoints()["Endpoints"])


def live_tags(sagemaker: Any, name: str) -> dict[str, str]:
    arn = sagemaker.describe_endpoint(EndpointName=name)["EndpointArn"]
    return {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=arn)["Tags"]}


def spec_keys(job: Any) -> list[str]:
    return [k for k in job.store.list("state/") if k.endswith("/restore.json")]


@pytest.fixture
def settings(tmp_path: Path) -> Any:
    return settings_for(tmp_path, ["sagemaker-endpoints"])


def test_idle_endpoint_is_deleted_and_recreated_by_its_schedule(
    clients: Any, sagemaker: Any, settings: Any, clock: Any, calls: Any
) -> None:
    seed(clients, {"scoring": TAGS, "busy": {"idle-stop": "60m"}}, busy=("busy",))
    job = make_job(settings, clock, calls)
    report = run(job, clock, at(0, 10, 0))
    assert decision_for(report, "scoring").reason == "idle: no traffic in the last 60m"
    assert result_for(report, "scoring").outcome.value == "done"
    assert not exists(sagemaker, "scoring")
    assert [k.split("/")[-2] for k in spec_keys(job)] == ["scoring"]
    # The endpoint with traffic is left alone.
    assert decision_for(report, "busy").action is Action.SKIP
    assert exists(sagemaker, "busy")

    # Deleted, it is still known (from its saved spec) and stays off overnight.
    report = run(job, clock, at(0, 19, 5))
    assert "already off" in decision_for(report, "scoring").reason
    report = run(job, clock, at(1, 8, 5))
    assert decision_for(report, "scoring").action is Action.SCALE_UP
    assert exists(sagemaker, "scoring")
    described = sagemaker.describe_endpoint(EndpointName="scoring")
    assert described["EndpointConfigName"] == "scoring-config"
    assert [v["CurrentInstanceCount"] for v in described["ProductionVariants"]] == [2]
    assert live_tags(sagemaker, "scoring") == TAGS
    assert spec_keys(job) == []

    down, up = rows(job, ResourceName="scoring")
    assert (down["x_Action"], up["x_Action"]) == ("scale-down", "scale-up")
    assert down["x_Reason"] == "idle: no traffic in the last 60m"
    assert down["ServiceName"] == "Amazon SageMaker" and down["x_ResourceSize"] == "2 x ml.m5.large"
    unit = bundled_price(
        "providers.aws", "sagemaker_endpoint_prices.json", "eu-west-1", "ml.m5.large"
    )
    assert unit is not None
    assert up["ListUnitPrice"] == pytest.approx(2 * unit.hourly)
    assert up["x_AvoidedHours"] == pytest.approx(22 + 5 / 60)
    assert up["x_EstimatedSavings"] == pytest.approx(up["x_AvoidedHours"] * 2 * unit.hourly)

    # Just recreated, it is given a whole window before it can be idle again.
    run(job, clock, at(1, 8, 20))
    assert exists(sagemaker, "scoring")
    run(job, clock, at(1, 9, 10))
    assert not exists(sagemaker, "scoring")


def test_an_idle_endpoint_without_a_schedule_comes_back_on_wake(
    clients: Any, sagemaker: Any, settings: Any, clock: Any, calls: Any
) -> None:
    tags = {"idle-stop": "30m", "team": "ml"}
    seed(clients, {"adhoc": tags})
    job = make_job(settings, clock, calls)
    run(job, clock, at(0, 10, 0))
    assert not exists(sagemaker, "adhoc")
    report = run(job, clock, at(0, 12, 0))
    assert decision_for(report, "adhoc").reason == "no schedule tag"
    woken = make_job(settings, clock, calls, wake=frozenset({"adhoc"}))
    report = run(woken, clock, at(0, 12, 15))
    assert decision_for(report, "adhoc").reason == "woken by request (offhours wake)"
    assert result_for(report, "adhoc").outcome.value == "done"
    assert live_tags(sagemaker, "adhoc") == tags
    assert sagemaker.describe_endpoint(EndpointName="adhoc")["EndpointConfigName"] == "adhoc-config"
    assert [r["x_Action"] for r in rows(job, ResourceName="adhoc")] == ["scale-down", "scale-up"]


class FailingSpecs(LocalStore):
    """A state store whose disk is full for endpoint specs (ledger rows still work)."""

    def put(self, key: str, data: bytes) -> None:
        if "/kind=sagemaker-endpoints/" in key:
            raise StoreError(f"cannot write {key}: No space left on device")
        super().put(key, data)


def test_an_endpoint_whose_recreation_data_cannot_be_saved_is_not_deleted(
    clients: Any, sagemaker: Any, settings: Any, clock: Any, calls: Any, tmp_path: Path
) -> None:
    seed(clients, {"scoring": TAGS})
    job = make_job(settings, clock, calls, store=FailingSpecs(tmp_path / "failing"))
    report = run(job, clock, at(0, 10, 0))
    result = result_for(report, "scoring")
    assert result.outcome.value == "failed"
    assert "could not be saved" in result.error and "left as it is" in result.error
    assert exists(sagemaker, "scoring")
    (row,) = rows(job, ResourceName="scoring")
    assert row["x_Outcome"] == "failed" and "No space left on device" in row["x_Error"]


def test_a_stale_spec_beside_a_running_endpoint_is_removed(
    clients: Any, sagemaker: Any, clock: Any, calls: Any, tmp_path: Path
) -> None:
    from providers.aws.connection import connect

    seed(clients, {"scoring": {"idle-stop": "60m"}}, busy=("scoring",))
    store = LocalStore(tmp_path / "state")
    connection = calls.attach(connect(ProviderConfig(regions=("eu-west-1",))))
    options = AdapterOptions(clock=clock, state=store)
    adapter = calls.track(SageMakerEndpoints(connection, options))
    clock.now = at(0, 10, 0)
    (resource,) = adapter.discover(TARGET)
    # Left by a run that crashed after saving and before deleting the endpoint.
    spec = {"endpoint_name": "scoring", "mode": "delete"}
    RestoreStore(store).save(resource, spec, clock.now)
    (resource,) = adapter.discover(TARGET)
    assert resource.extra["stale_spec"] == "yes"
    adapter.apply([Decision(resource, Action.SKIP, "busy")], dry_run=False)
    assert store.get(state_key(resource, "restore.json")) is None
