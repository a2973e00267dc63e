"""Microsoft.ContainerService: managed clusters and agent pools (api-version 2025-05-01).

- ``GET /subscriptions/{s}/providers/Microsoft.ContainerService/managedClusters``
- ``GET .../managedClusters/{name}``, ``POST .../managedClusters/{name}/start|stop`` -> 202
  (stop refused for clusters with node auto-provisioning or pools not backed by scale sets)
- ``GET .../managedClusters/{name}/agentPools[/{pool}]``, ``PUT .../agentPools/{pool}``
  (validated as AKS does: system pools keep at least one node, autoscaler bounds hold,
  no pool changes while the cluster is stopped)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.azure_fake import contract
from sandbox.azure_fake.model import FakeAgentPool, FakeCluster
from sandbox.azure_fake.wire import RG, SUB, FakeError, Request, Response, not_found, page, route

if TYPE_CHECKING:
    from sandbox.azure_fake.server import AzureFake

NS = "Microsoft.ContainerService"
CLUSTER = RG + r"/providers/Microsoft\.ContainerService/managedClusters/(?P<name>[^/]+)"
POOL = CLUSTER + r"/agentPools/(?P<pool>[^/]+)"

_ACTIONS = {"start": ("Starting", "Running"), "stop": ("Stopping", "Stopped")}


def list_clusters(fake: AzureFake, req: Request) -> Response:
    sub = req.params["sub"].lower()
    items = [c.render() for _, c in sorted(fake.clusters.items()) if c.subscription.lower() == sub]
    return page(req, items, fake.page_size)


def _cluster(fake: AzureFake, req: Request) -> FakeCluster:
    p = req.params
    key = f"/subscriptions/{p['sub']}/resourceGroups/{p['rg']}/providers/{NS}/managedClusters/"
    cluster = fake.clusters.get(f"{key}{p['name']}".lower())
    if cluster is None:
        raise not_found(f"{NS}/managedClusters", p["name"], p["rg"])
    return cluster


def _pool(cluster: FakeCluster, name: str) -> FakeAgentPool:
    for pool in cluster.pools.values():
        if pool.name.lower() == name.lower():
            return pool
    raise not_found(f"{NS}/managedClusters/agentPools", name)


def get_cluster(fake: AzureFake, req: Request) -> Response:
    return Response(200, _cluster(fake, req).render())


def _refuse_stop(cluster: FakeCluster) -> None:
    """Microsoft Learn, "Stop and start an AKS cluster": stop is supported only for
    clusters backed by Virtual Machine Scale Sets, and not with node auto-provisioning."""
    automatic = cluster.sku_name.lower() == "automatic"  # AKS Automatic: always NAP
    if cluster.node_provisioning.lower() == "auto" or automatic:
        raise FakeError(
            400,
            "OperationNotAllowed",
            "Stopping a cluster that uses node auto-provisioning is not supported.",
        )
    others = [p.name for p in cluster.pools.values() if p.pool_type != "VirtualMachineScaleSets"]
    if others:
        raise FakeError(
            400,
            "OperationNotAllowed",
            "Stopping a cluster is only supported for clusters backed by Virtual Machine "
            f"Scale Sets; agent pools {', '.join(others)} are not.",
        )


def cluster_action(fake: AzureFake, req: Request) -> Response:
    cluster = _cluster(fake, req)
    action = req.params["action"].lower()
    contract.check_action_body(req.body, action)
    if action == "stop":
        _refuse_stop(cluster)
    fault = fake.check_fault(cluster.name, action)
    running, final = _ACTIONS[action]
    before = (cluster.power_state, cluster.provisioning_state)
    cluster.provisioning_state = running

    def complete() -> None:
        cluster.power_state, cluster.provisioning_state = final, "Succeeded"

    def revert() -> None:
        cluster.power_state, cluster.provisioning_state = before

    fake.events.append(("power", cluster.id, action))
    op = fake.begin_operation(NS, cluster.subscription, cluster.location, fault, complete, revert)
    return fake.accepted(req, op)


def list_pools(fake: AzureFake, req: Request) -> Response:
    cluster = _cluster(fake, req)
    return page(req, [cluster.render_pool(p) for p in cluster.pools.values()], fake.page_size)


def get_pool(fake: AzureFake, req: Request) -> Response:
    cluster = _cluster(fake, req)
    return Response(200, cluster.render_pool(_pool(cluster, req.params["pool"])))


def _validate(cluster: FakeCluster, pool: FakeAgentPool, props: dict[str, Any]) -> None:
    if cluster.power_state != "Running" or cluster.provisioning_state != "Succeeded":
        raise FakeError(
            409,
            "OperationNotAllowed",
            "Agent pools cannot be changed while the cluster is "
            f"{cluster.power_state.lower()} ({cluster.provisioning_state}).",
        )
    count = props.get("count", pool.count)
    if not isinstance(count, int) or count < 0:
        raise FakeError(400, "InvalidParameter", f"Invalid node count {count!r}.")
    if props.get("mode", pool.mode) == "System" and count < 1:
        raise FakeError(400, "InvalidParameter", "System node pools must have at least 1 node.")
    if props.get("enableAutoScaling"):
        low, high = props.get("minCount"), props.get("maxCount")
        if not isinstance(low, int) or not isinstance(high, int) or not low <= count <= high:
            raise FakeError(
                400, "InvalidParameter", "With the autoscaler, minCount <= count <= maxCount."
            )


def put_pool(fake: AzureFake, req: Request) -> Response:
    cluster = _cluster(fake, req)
    pool = _pool(cluster, req.params["pool"])
    fault = fake.check_fault(pool.name, "update")
    contract.check_agent_pool(req.body)
    props = req.body["properties"]
    _validate(cluster, pool, props)
    before = (pool.count, pool.enable_auto_scaling, pool.min_count, pool.max_count)
    pool.count = props.get("count", pool.count)
    pool.enable_auto_scaling = bool(props.get("enableAutoScaling", False))
    pool.min_count = props.get("minCount") if pool.enable_auto_scaling else None
    pool.max_count = props.get("maxCount") if pool.enable_auto_scaling else None
    pool.provisioning_state = "Scaling"
    fake.events.append(("count", f"{cluster.id}/agentPools/{pool.name}", pool.count))

    def complete() -> None:
        pool.provisioning_state = "Succeeded"

    def revert() -> None:
        pool.count, pool.enable_auto_scaling, pool.min_count, pool.max_count = before
        pool.provisioning_state = "Failed"

    op = fake.begin_operation(NS, cluster.subscription, cluster.location, fault, complete, revert)
    return Response(200, cluster.render_pool(pool), fake.operation_headers(req, op))


ROUTES = [
    route("GET", SUB + r"/providers/Microsoft\.ContainerService/managedClusters", list_clusters),
    route("GET", CLUSTER, get_cluster),
    route("POST", CLUSTER + r"/(?P<action>start|stop)", cluster_action),
    route("GET", CLUSTER + r"/agentPools", list_pools),
    route("GET", POOL, get_pool),
    route("PUT", POOL, put_pool),
]
