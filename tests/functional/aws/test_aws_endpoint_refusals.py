"""SageMaker endpoints on moto when something is wrong: a refused delete or recreate, a
deleted endpoint configuration, a malformed idle tag, a spec whose endpoint is gone, a
restore store that cannot forget. What SageMaker holds afterwards, what the restore store
holds, and the words the result carries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_kit import ACCOUNT, REGION, TARGET, at, refuse

from providers.aws.connection import AwsConnection, connect
from providers.aws.sagemaker_endpoints import SageMakerEndpoints
from providers.base import Action, AdapterOptions, Decision, ProviderConfig
from providers.store import LocalStore, StoreUnavailable
from sandbox.aws_more import backdate_sagemaker, create_endpoint

IDLE = {"schedule": "office-hours", "idle-stop": "60m"}


class Store(LocalStore):
    """A local state store whose deletes can be made to fail."""

    deletes_fail = False

    def delete(self, key: str) -> None:
        if self.deletes_fail:
            raise StoreUnavailable("503 Slow Down")
        super().delete(key)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "state")


@pytest.fixture
def connection(aws: None, calls: Any) -> AwsConnection:
    return calls.attach(connect(ProviderConfig(regions=(REGION,))))


@pytest.fixture
def adapter(connection: AwsConnection, store: Store, clock: Any, calls: Any) -> Any:
    clock.now = at(0, 19, 5)
    return calls.track(SageMakerEndpoints(connection, AdapterOptions(clock=clock, state=store)))


def seed(sagemaker: Any, names: dict[str, dict[str, str]]) -> None:
    for name, tags in names.items():
        create_endpoint(sagemaker, name, "ml.m5.large", tags, model="scorer")
    backdate_sagemaker(at(-1, 0), ACCOUNT)


def exists(sagemaker: Any, name: str) -> bool:
    return any(e["EndpointName"] == name for e in sagemaker.list_endpoints()["Endpoints"])


def specs(store: Store) -> list[str]:
    return sorted(k.split("/")[-2] for k in store.list("state/") if k.endswith("/restore.json"))


def by_name(adapter: Any) -> dict[str, Any]:
    return {r.name: r for r in adapter.discover(TARGET)}


def test_a_refused_delete_leaves_the_endpoint_and_no_spec(
    sagemaker: Any, adapter: Any, connection: AwsConnection, store: Store
) -> None:
    seed(sagemaker, {"scoring": IDLE})
    (found,) = adapter.discover(TARGET)
    refuse(connection.client("sagemaker", TARGET), "DeleteEndpoint", "ThrottlingException")
    (result,) = adapter.apply([Decision(found, Action.SCALE_DOWN, "idle")], dry_run=False)
    assert (result.outcome.value, result.error) == (
        "failed",
        "ThrottlingException: refused: ThrottlingException",
    )
    assert exists(sagemaker, "scoring")
    assert specs(store) == []  # a spec beside a live endpoint would only mislead


def test_a_refused_recreate_keeps_the_spec_and_a_stuck_forget_is_noted(
    sagemaker: Any, adapter: Any, connection: AwsConnection, store: Store
) -> None:
    seed(sagemaker, {"scoring": IDLE})
    (found,) = adapter.discover(TARGET)
    (down,) = adapter.apply([Decision(found, Action.SCALE_DOWN, "idle")], dry_run=False)
    assert down.outcome.value == "done" and not exists(sagemaker, "scoring")

    (saved,) = adapter.discover(TARGET)
    assert (saved.state.value, saved.extra["saved"]) == ("scaled-down", "yes")
    refuse(connection.client("sagemaker", TARGET), "CreateEndpoint", "ResourceLimitExceeded")
    (refused,) = adapter.apply([Decision(saved, Action.SCALE_UP, "on")], dry_run=False)
    assert refused.outcome.value == "failed"
    assert refused.error == (
        "ResourceLimitExceeded: refused: ResourceLimitExceeded "
        "(endpoint config scoring-config; the saved spec is kept)"
    )
    assert specs(store) == ["scoring"] and not exists(sagemaker, "scoring")

    store.deletes_fail = True
    (up,) = adapter.apply([Decision(saved, Action.SCALE_UP, "on")], dry_run=False)
    assert up.outcome.value == "done" and exists(sagemaker, "scoring")
    assert up.detail == (
        "recreated with endpoint config scoring-config; endpoint scoring InService; "
        "saved spec not removed (503 Slow Down)"
    )
    # The leftover spec beside a live endpoint is stale: the next skip removes it.
    store.deletes_fail = False
    (live,) = adapter.discover(TARGET)
    assert live.extra["stale_spec"] == "yes"
    adapter.apply([Decision(live, Action.SKIP, "busy")], dry_run=False)
    assert specs(store) == []


def test_an_endpoint_without_its_configuration_is_never_deleted(
    sagemaker: Any, adapter: Any
) -> None:
    seed(sagemaker, {"scoring": IDLE})
    sagemaker.delete_endpoint_config(EndpointConfigName="scoring-config")
    (found,) = adapter.discover(TARGET)
    assert found.price is None  # the instance type was in the configuration
    (result,) = adapter.apply([Decision(found, Action.SCALE_DOWN, "off")], dry_run=False)
    assert result.outcome.value == "failed" and result.error.startswith("ValidationException")
    assert exists(sagemaker, "scoring")


def test_a_malformed_idle_tag_is_a_reason_not_a_guess(sagemaker: Any, adapter: Any) -> None:
    seed(sagemaker, {"typo": {"idle-stop": "an hour"}, "zero": {"idle-stop": "0m"}})
    found = by_name(adapter)
    for name in ("typo", "zero"):
        assert found[name].unmanaged_reason.startswith("bad idle-stop tag: ")
        assert not found[name].idle
    assert "use minutes, hours or days like 60m, 2h, 1d" in found["typo"].unmanaged_reason


def test_an_endpoint_deleted_since_the_tag_listing_is_not_reported(
    sagemaker: Any, adapter: Any, connection: AwsConnection
) -> None:
    seed(sagemaker, {"scoring": IDLE, "ranking": IDLE})
    tagging = connection.client("resourcegroupstaggingapi", TARGET)
    # The listing is made first; the endpoint goes before it is described.
    real_get = tagging.get_resources

    def list_then_delete(**kwargs: Any) -> Any:
        answer = real_get(**kwargs)
        sagemaker.delete_endpoint(EndpointName="ranking")
        return answer

    tagging.get_resources = list_then_delete
    assert sorted(by_name(adapter)) == ["scoring"]


def test_a_saved_component_spec_whose_endpoint_is_gone_is_left_alone(
    adapter: Any, store: Store, aws: None
) -> None:
    from providers.base import Resource, ResourceState

    probe = Resource(
        "aws", ACCOUNT, REGION, "sagemaker-endpoints", "gone", "gone", {}, ResourceState.RUNNING
    )
    spec = {
        "endpoint_name": "gone",
        "mode": "components",
        "components": {"llm": 2},
        "tags": {"schedule": "office-hours"},
        "variants": [],
    }
    adapter.restore.save(probe, spec, at(0, 0))
    (found,) = adapter.discover(TARGET)
    assert found.state.value == "scaled-down"
    assert found.unmanaged_reason == (
        "endpoint with saved inference component counts no longer exists"
    )


def test_variant_counts_autoscaling_had_set_come_back_or_the_result_says_why_not(
    sagemaker: Any, adapter: Any, connection: AwsConnection
) -> None:
    seed(sagemaker, {"scoring": IDLE})
    sagemaker.update_endpoint_weights_and_capacities(
        EndpointName="scoring",
        DesiredWeightsAndCapacities=[{"VariantName": "main", "DesiredInstanceCount": 3}],
    )
    (found,) = adapter.discover(TARGET)
    assert found.size == "3 x ml.m5.large"
    adapter.apply([Decision(found, Action.SCALE_DOWN, "idle")], dry_run=False)
    (saved,) = adapter.discover(TARGET)
    refuse(
        connection.client("sagemaker", TARGET),
        "UpdateEndpointWeightsAndCapacities",
        "ValidationException",
        "endpoint busy",
    )
    (up,) = adapter.apply([Decision(saved, Action.SCALE_UP, "on")], dry_run=False)
    assert up.outcome.value == "done" and exists(sagemaker, "scoring")
    assert up.detail == (
        "recreated with endpoint config scoring-config; endpoint scoring InService; "
        "variant counts (main=3) not restored: ValidationException: endpoint busy"
    )
    variants = sagemaker.describe_endpoint(EndpointName="scoring")["ProductionVariants"]
    assert variants[0]["CurrentInstanceCount"] == 1  # what the configuration says

    (again,) = adapter.discover(TARGET)
    adapter.apply([Decision(again, Action.SCALE_DOWN, "idle")], dry_run=False)
    (saved,) = adapter.discover(TARGET)
    assert saved.size == "1 x ml.m5.large"  # the counts at the second deletion
