"""The demo fleet seeds a fake every GCP kind finds something in."""

from __future__ import annotations

from typing import Any

from providers import CONNECTIONS, KINDS, load
from providers.base import AdapterOptions, ProviderConfig, ResourceState
from sandbox.gcp_fake import GcpFake
from sandbox.gcp_fake.demo import DEMO_PROJECT, REGION, seed_demo_project


def test_demo_fleet_is_discovered(fake: GcpFake, built: Any, clock: Any, store: Any) -> None:
    seed_demo_project(fake)
    config = ProviderConfig(accounts=(DEMO_PROJECT,), regions=(REGION,), endpoint_url=fake.url)
    connection = load(CONNECTIONS["gcp"])(config)
    [target] = connection.targets()
    found: dict[str, list[Any]] = {}
    for kind, path in KINDS["gcp"].items():
        cls = load(path)
        built.permissions.update(cls.permissions)
        adapter = cls(connection, AdapterOptions(clock=clock, state=store))
        found[kind] = list(adapter.discover(target))

    names = {r.name: r for r in found["instances"]}
    assert "bastion" not in names  # unlabelled
    assert names["api-prod"].tags["environment"] == "prod"  # the planner protects it
    assert names["gpu-notebook"].price is not None
    assert {r.name for r in found["instances"] if r.unmanaged_reason} == {
        "gpu-scratch",
        *(n for n in names if n.startswith("render-workers-")),
    }
    assert names["gpu-scratch"].unmanaged_reason.startswith("local SSD attached (1)")
    assert names["etl-cache"].extra["local_ssd"] == "2"
    assert [r.name for r in found["instance-groups"]] == ["render-workers"]
    assert [r.name for r in found["workbench"]] == ["ml-workbench"]
    [endpoint] = found["vertex-endpoints"]
    assert endpoint.idle and endpoint.state is ResourceState.RUNNING
    assert all(r.price is not None for kind in found.values() for r in kind)
