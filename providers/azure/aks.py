"""AKS managed clusters: stop and start the cluster, or scale user node pools to 0 and back.

The ``offhours-aks-mode`` tag picks how:

- ``cluster`` (default): ``POST .../stop`` and ``.../start``. A stopped cluster bills
  nothing (control plane and nodes); it keeps its configuration and node counts.
- ``nodepools``: the cluster stays up, its user pools go to 0 nodes and come back to the
  exact previous count and autoscaler settings. Those are saved in the restore store
  (``providers/restore.py``) and read back before any pool changes; without a state store
  the adapter changes nothing and reports FAILED. System
  pools keep their nodes (AKS requires at least one); the result says so.

Raw ARM REST (``Microsoft.ContainerService``, api-version 2025-05-01: a stable version that
returns ``nodeProvisioningProfile``, the one Microsoft Learn's node auto-provisioning template
uses). AKS runs one operation per cluster at a time, so one cluster's pools are updated one
after another.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from functools import partial
from typing import Any

from providers.apply import (
    NO_SAVED_SIZE,
    AlreadyOff,
    Deadline,
    Handler,
    Refused,
    Started,
    wait_for,
)
from providers.azure.common import PROVIDER, normalize_tags, region
from providers.azure.connection import AzureConnection
from providers.azure.limits import aks_stop_refusal
from providers.azure.operations import LroOperation, deadline, engine
from providers.azure.prices import AKS_TIER_HOURLY, fleet_price
from providers.azure.resource_groups import PERMISSION as GROUPS_PERMISSION
from providers.azure.resource_groups import scope_for
from providers.azure.sizes import is_accelerated
from providers.base import (
    Action,
    Decision,
    Resource,
    ResourceState,
    Result,
    Scope,
    Target,
    tagged,
)
from providers.restore import ScalesToZero
from providers.scopes import inherit
from providers.store import StoreError

API_VERSION = "2025-05-01"
NAMESPACE = "Microsoft.ContainerService"
MODE_TAG = "offhours-aks-mode"
MODES = ("cluster", "nodepools")
# Microsoft Learn, "Stop and start an AKS cluster": a start restores every object from etcd
# except standalone pods; the result says so, since offhours cannot see pods.
STOP_DETAIL = "stopped (standalone pods, not owned by a controller, do not come back on start)"
_SAVED_FIELDS = ("count", "enableAutoScaling", "minCount", "maxCount")
_READ_ONLY = ("provisioningState", "nodeImageVersion", "currentOrchestratorVersion")


def _pool_props(pool: dict[str, Any]) -> dict[str, Any]:
    """An agent pool's properties, from a pool resource or a cluster's pool profile."""
    return dict(pool.get("properties") or pool)


def _is_user(pool: dict[str, Any]) -> bool:
    return str(_pool_props(pool).get("mode", "User")).lower() == "user"


def _has_nodes(pool: dict[str, Any]) -> bool:
    props = _pool_props(pool)
    return int(props.get("count") or 0) > 0 or bool(props.get("enableAutoScaling"))


class AksClusters(ScalesToZero[AzureConnection]):
    kind = "aks"
    permissions = (
        "Microsoft.ContainerService/managedClusters/read",
        "Microsoft.ContainerService/managedClusters/start/action",
        "Microsoft.ContainerService/managedClusters/stop/action",
        "Microsoft.ContainerService/managedClusters/agentPools/read",
        "Microsoft.ContainerService/managedClusters/agentPools/write",
        "Microsoft.ContainerService/locations/operations/read",
        "Microsoft.ContainerService/locations/operationresults/read",
        GROUPS_PERMISSION,
    )

    # -- discover ----------------------------------------------------------------------

    def discover(self, target: Target) -> list[Resource]:
        # Azure tag keys are case-insensitive: the resources' keys are lowercased.
        return tagged(self.inventory(target), self.options.tag_key.lower())

    def inventory(self, target: Target) -> list[Resource]:
        """Every cluster, tagged or not (the digest's opportunities)."""
        path = f"/subscriptions/{target.account}/providers/{NAMESPACE}/managedClusters"
        listed = [
            cluster
            for cluster in self.connection.arm().list(path, API_VERSION)
            if self.connection.in_scope(cluster.get("location"))
        ]
        scopes = self.connection.group_scopes(target.account) if listed else {}
        return [
            self._resource(target, cluster, scope_for(scopes, str(cluster["id"])))
            for cluster in listed
        ]

    def _resource(self, target: Target, cluster: dict[str, Any], scope: Scope | None) -> Resource:
        tags, scope = inherit(normalize_tags(cluster.get("tags")), scope)
        mode = tags.get(MODE_TAG, "cluster").lower()
        props = cluster.get("properties") or {}
        pools = list(props.get("agentPoolProfiles") or [])
        resource = Resource(
            provider=PROVIDER,
            account=target.account,
            region=region(cluster.get("location")),
            kind=self.kind,
            id=str(cluster["id"]),
            name=str(cluster.get("name", "")),
            tags=tags,
            state=ResourceState.TRANSITIONAL,
            size=", ".join(f"{p.get('name')}={p.get('count')}x{p.get('vmSize')}" for p in pools),
            service="Azure Kubernetes Service",
            accelerator=any(is_accelerated(str(p.get("vmSize", ""))) for p in pools),
            extra={"mode": mode, "power_state": str((props.get("powerState") or {}).get("code"))},
            scope=scope,
        )
        if mode == "nodepools":
            return self._as_nodepools(resource, props, pools)
        if mode != "cluster":
            return replace(resource, unmanaged_reason=f"bad {MODE_TAG} tag {mode!r}: use {MODES}")
        return self._as_cluster(resource, cluster, props, pools)

    def _as_cluster(
        self, resource: Resource, cluster: dict[str, Any], props: dict[str, Any], pools: list[Any]
    ) -> Resource:
        power = str((props.get("powerState") or {}).get("code", "")).lower()
        busy = str(props.get("provisioningState", "")).lower() != "succeeded"
        states = {"running": ResourceState.RUNNING, "stopped": ResourceState.STOPPED}
        state = (
            ResourceState.TRANSITIONAL if busy else states.get(power, ResourceState.TRANSITIONAL)
        )
        tier = str((cluster.get("sku") or {}).get("tier", "free")).lower()
        machines = [(str(p.get("vmSize", "")), int(p.get("count") or 0)) for p in pools]
        fee = AKS_TIER_HOURLY.get(tier, 0.0)
        price = fleet_price(machines, resource.region, resource.tags, extra_hourly=fee)
        refusal = aks_stop_refusal(props, str((cluster.get("sku") or {}).get("name", "")))
        return replace(resource, state=state, price=price, unmanaged_reason=refusal)

    def _as_nodepools(
        self, resource: Resource, props: dict[str, Any], pools: list[Any]
    ) -> Resource:
        users = [p for p in pools if _is_user(p)]
        power = str((props.get("powerState") or {}).get("code", "")).lower()
        if not users:
            reason = "no user node pools to scale (system pools keep at least one node)"
            return replace(resource, unmanaged_reason=reason, state=ResourceState.RUNNING)
        if power == "stopped":
            reason = "cluster is stopped: node-pool mode needs it running"
            return replace(resource, unmanaged_reason=reason, state=ResourceState.STOPPED)
        busy = str(props.get("provisioningState", "")).lower() != "succeeded"
        up = any(_has_nodes(p) for p in users)
        state = ResourceState.RUNNING if up else ResourceState.SCALED_DOWN
        saved = self._saved(resource) if not up else {}
        machines = [
            (str(p.get("vmSize", "")), int(p.get("count") or 0) or _saved_count(saved, p))
            for p in users
        ]
        return replace(
            resource,
            state=ResourceState.TRANSITIONAL if busy else state,
            off_state=ResourceState.SCALED_DOWN,
            price=fleet_price(machines, resource.region, resource.tags),
        )

    def _saved(self, resource: Resource) -> dict[str, Any]:
        """Saved node-pool counts (prices the avoided hours); none when unreadable."""
        try:
            pools: dict[str, Any] = (self.restore.load(resource) or {}).get("pools", {})
        except StoreError:
            return {}
        return pools

    # -- apply -------------------------------------------------------------------------

    def act(self, decisions: Sequence[Decision]) -> Iterable[Result]:
        until = deadline(self.connection)
        handlers: dict[Action, Handler] = {
            Action.STOP: partial(self._cluster, verb="stop", detail=STOP_DETAIL),
            Action.START: partial(self._cluster, verb="start", detail="started"),
            Action.SCALE_DOWN: partial(self._pools_down, deadline=until),
            Action.SCALE_UP: partial(self._pools_up, deadline=until),
        }
        return engine(self.kind, self.options).run(decisions, handlers, until)

    def _cluster(self, decision: Decision, verb: str, detail: str) -> Started:
        if verb == "stop":
            cluster = self.connection.arm().get(decision.resource.id, API_VERSION)
            power = str(((cluster.get("properties") or {}).get("powerState") or {}).get("code"))
            if power.lower() == "stopped":
                raise AlreadyOff("the cluster is stopped")
        poller = self.connection.arm().begin("POST", f"{decision.resource.id}/{verb}", API_VERSION)
        return Started(LroOperation(poller), detail)

    def _pools_down(self, decision: Decision, deadline: Deadline) -> str:
        resource = decision.resource
        arm = self.connection.arm()
        pools = list(arm.list(f"{resource.id}/agentPools", API_VERSION))
        users = [p for p in pools if _is_user(p)]
        running = [p for p in users if _has_nodes(p)]
        if not running:
            raise AlreadyOff("every user node pool is at 0 nodes")
        # What an interrupted earlier scale-down saved stays; running pools are saved afresh.
        saved = dict((self.restore.load(resource) or {}).get("pools", {}))
        for pool in running:
            saved[pool["name"]] = {f: _pool_props(pool).get(f) for f in _SAVED_FIELDS}
        self.restore.save(resource, {"cluster": resource.id, "pools": saved}, self.options.clock())
        changes = []
        for pool in running:
            before = int(_pool_props(pool).get("count") or 0)
            self._put_pool(
                pool, deadline, count=0, enableAutoScaling=False, minCount=None, maxCount=None
            )
            changes.append(f"{pool['name']} {before}->0")
        system = [p["name"] for p in pools if p not in users]
        detail = f"user pools scaled to 0: {', '.join(changes)} (counts saved)"
        return detail + (f"; system pools kept running: {', '.join(system)}" if system else "")

    def _pools_up(self, decision: Decision, deadline: Deadline) -> str:
        from azure.core.exceptions import ResourceNotFoundError

        resource = decision.resource
        saved = self.restore.require(resource).get("pools") or {}
        if not saved:
            raise Refused(f"{NO_SAVED_SIZE} (no node-pool counts saved)")
        arm = self.connection.arm()
        changes = []
        for name, spec in sorted(saved.items()):
            try:
                pool = arm.get(f"{resource.id}/agentPools/{name}", API_VERSION)
            except ResourceNotFoundError:
                changes.append(f"{name} is gone")
                continue
            before = int(_pool_props(pool).get("count") or 0)
            self._put_pool(pool, deadline, **{f: spec.get(f) for f in _SAVED_FIELDS})
            changes.append(f"{name} {before}->{spec.get('count')}")
        self.restore.forget(resource)
        return f"user pools restored: {', '.join(changes)}"

    def _put_pool(self, pool: dict[str, Any], deadline: Deadline, **changes: Any) -> None:
        props = {k: v for k, v in _pool_props(pool).items() if k not in _READ_ONLY}
        props.update(changes)
        poller = self.connection.arm().begin(
            "PUT", str(pool["id"]), API_VERSION, {"properties": props}
        )
        wait_for(LroOperation(poller), deadline, f"scaling node pool {pool['name']}")


def _saved_count(saved: dict[str, Any], pool: dict[str, Any]) -> int:
    return int((saved.get(str(pool.get("name"))) or {}).get("count") or 0)
