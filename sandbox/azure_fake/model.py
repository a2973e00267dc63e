"""The fake's resources, rendered in the JSON shapes Azure Resource Manager answers with.

Each class keeps the few fields offhours reads or changes and renders itself the way the
documented REST API does for the API version the SDK sends (see ``API_VERSIONS``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Json = dict[str, Any]

# The API versions the clients send, which the fake answers; any other is refused with
# ARM's ``InvalidApiVersionParameter`` (it records what it was sent: ``AzureFake.api_versions``).
API_VERSIONS = {
    "Microsoft.Compute": "2026-04-01",  # azure-mgmt-compute 39 default
    "Microsoft.ContainerService": "2025-05-01",
    "Microsoft.MachineLearningServices": "2024-04-01",
    "Microsoft.Resources": "2022-12-01",  # GET /subscriptions
    "Microsoft.Insights": "2022-10-01",  # autoscale settings
}

_POWER_LABELS = {
    "running": "VM running",
    "deallocated": "VM deallocated",
    "stopped": "VM stopped",
    "starting": "VM starting",
    "stopping": "VM stopping",
    "deallocating": "VM deallocating",
}


def iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def rg_id(subscription: str, resource_group: str) -> str:
    return f"/subscriptions/{subscription}/resourceGroups/{resource_group}"


@dataclass
class FakeResourceGroup:
    """A resource group as Resource Groups - List answers it (Microsoft.Resources
    2021-04-01, ``ResourceGroup`` in azure-rest-api-specs
    ``specification/resources/resource-manager/Microsoft.Resources/stable/2021-04-01/
    resources.json``): ``id``, ``name``, ``type``, ``location``, ``properties.
    provisioningState`` and ``tags`` (absent when the group has none)."""

    subscription: str
    name: str
    location: str
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return rg_id(self.subscription, self.name)

    def render(self) -> Json:
        body: Json = {
            "id": self.id,
            "name": self.name,
            "type": "Microsoft.Resources/resourceGroups",
            "location": self.location,
            "properties": {"provisioningState": "Succeeded"},
        }
        if self.tags:
            body["tags"] = dict(self.tags)
        return body


@dataclass
class FakeVm:
    subscription: str
    resource_group: str
    name: str
    size: str
    location: str
    tags: dict[str, str]
    power_state: str = "running"  # running | deallocated | stopped | starting | ...
    hibernation_enabled: bool = False
    hibernated: bool = False
    scale_set_id: str = ""
    # Ephemeral OS disk placement (``CacheDisk`` | ``ResourceDisk`` | ``NvmeDisk``), or "" for a
    # managed OS disk: ``storageProfile.osDisk.diffDiskSettings`` with ``option: Local``.
    ephemeral_placement: str = ""
    # Ids of a capacity reservation group / dedicated host group the VM is placed in, or "".
    capacity_reservation_group: str = ""
    host_group: str = ""
    # When the last operation finished (the instance view's ProvisioningState time).
    provisioning_time: datetime = field(default_factory=lambda: datetime.now(UTC))
    vm_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def id(self) -> str:
        base = rg_id(self.subscription, self.resource_group)
        return f"{base}/providers/Microsoft.Compute/virtualMachines/{self.name}"

    def instance_view(self) -> Json:
        transitional = self.power_state in ("starting", "stopping", "deallocating")
        statuses: list[Json] = [
            {
                "code": f"ProvisioningState/{'updating' if transitional else 'succeeded'}",
                "level": "Info",
                "displayStatus": "Updating" if transitional else "Provisioning succeeded",
                "time": iso(self.provisioning_time),
            },
            {
                "code": f"PowerState/{self.power_state}",
                "level": "Info",
                "displayStatus": _POWER_LABELS.get(self.power_state, self.power_state),
            },
        ]
        if self.hibernated:
            statuses.append({"code": "HibernationState/Hibernated", "level": "Info"})
        return {"computerName": self.name, "statuses": statuses}

    def render(self, with_instance_view: bool = False) -> Json:
        props: Json = {
            "vmId": self.vm_id,
            "hardwareProfile": {"vmSize": self.size},
            "provisioningState": "Succeeded",
            "additionalCapabilities": {"hibernationEnabled": self.hibernation_enabled},
        }
        if self.scale_set_id:
            props["virtualMachineScaleSet"] = {"id": self.scale_set_id}
        props["storageProfile"] = {"osDisk": self._os_disk()}
        if self.capacity_reservation_group:
            group = {"id": self.capacity_reservation_group}
            props["capacityReservation"] = {"capacityReservationGroup": group}
        if self.host_group:
            props["hostGroup"] = {"id": self.host_group}
        if with_instance_view:
            props["instanceView"] = self.instance_view()
        return {
            "id": self.id,
            "name": self.name,
            "type": "Microsoft.Compute/virtualMachines",
            "location": self.location,
            "tags": dict(self.tags),
            "properties": props,
        }

    def _os_disk(self) -> Json:
        disk: Json = {
            "osType": "Linux",
            "name": f"{self.name}_OsDisk_1",
            "createOption": "FromImage",
            "caching": "ReadOnly" if self.ephemeral_placement else "ReadWrite",
            "deleteOption": "Delete" if self.ephemeral_placement else "Detach",
        }
        if self.ephemeral_placement:
            disk["diffDiskSettings"] = {"option": "Local", "placement": self.ephemeral_placement}
        return disk

    def render_status_only(self) -> Json:
        """``statusOnly=true`` answers the run-time status without tags or profiles."""
        return {
            "id": self.id,
            "name": self.name,
            "type": "Microsoft.Compute/virtualMachines",
            "location": self.location,
            "properties": {"instanceView": self.instance_view()},
        }


@dataclass
class FakeScaleSet:
    subscription: str
    resource_group: str
    name: str
    size: str
    location: str
    tags: dict[str, str]
    capacity: int
    provisioning_state: str = "Succeeded"
    # Ids of a capacity reservation group / dedicated host group its instances use, or "".
    capacity_reservation_group: str = ""
    host_group: str = ""

    @property
    def id(self) -> str:
        base = rg_id(self.subscription, self.resource_group)
        return f"{base}/providers/Microsoft.Compute/virtualMachineScaleSets/{self.name}"

    def render(self) -> Json:
        return {
            "id": self.id,
            "name": self.name,
            "type": "Microsoft.Compute/virtualMachineScaleSets",
            "location": self.location,
            "tags": dict(self.tags),
            "sku": {"name": self.size, "tier": "Standard", "capacity": self.capacity},
            "properties": self._properties(),
        }

    def _properties(self) -> Json:
        props: Json = {
            "provisioningState": self.provisioning_state,
            "orchestrationMode": "Uniform",
            "upgradePolicy": {"mode": "Manual"},
        }
        if self.capacity_reservation_group:
            group = {"id": self.capacity_reservation_group}
            props["virtualMachineProfile"] = {
                "capacityReservation": {"capacityReservationGroup": group}
            }
        if self.host_group:
            props["hostGroup"] = {"id": self.host_group}
        return props


@dataclass
class FakeAutoscaleSetting:
    """An Azure Monitor autoscale setting: while enabled, it keeps its target's instance
    count within its profile's ``capacity.minimum`` .. ``maximum`` (numbers as strings, as
    the 2022-10-01 REST shapes have them)."""

    subscription: str
    resource_group: str
    name: str
    location: str
    target_id: str
    minimum: int
    maximum: int
    enabled: bool = True

    @property
    def id(self) -> str:
        base = rg_id(self.subscription, self.resource_group)
        return f"{base}/providers/microsoft.insights/autoscalesettings/{self.name}"

    def render(self) -> Json:
        capacity = {
            "minimum": str(self.minimum),
            "maximum": str(self.maximum),
            "default": str(self.minimum),
        }
        return {
            "id": self.id,
            "name": self.name,
            "type": "Microsoft.Insights/autoscaleSettings",
            "location": self.location,
            "tags": {},
            "properties": {
                "profiles": [{"name": "default", "capacity": capacity, "rules": []}],
                "enabled": self.enabled,
                "name": self.name,
                "targetResourceUri": self.target_id,
                "notifications": [],
            },
        }


@dataclass
class FakeWorkspace:
    subscription: str
    resource_group: str
    name: str
    location: str
    tags: dict[str, str]

    @property
    def id(self) -> str:
        base = rg_id(self.subscription, self.resource_group)
        return f"{base}/providers/Microsoft.MachineLearningServices/workspaces/{self.name}"

    def render(self) -> Json:
        return {
            "id": self.id,
            "name": self.name,
            "type": "Microsoft.MachineLearningServices/workspaces",
            "location": self.location,
            "tags": dict(self.tags),
            "properties": {"friendlyName": self.name, "provisioningState": "Succeeded"},
        }


@dataclass
class FakeMlCompute:
    workspace: FakeWorkspace
    name: str
    size: str
    tags: dict[str, str]
    state: str = "Running"  # Running | Stopped | Starting | Stopping | JobRunning | ...
    compute_type: str = "ComputeInstance"
    # (operation name, when it finished): "Start", "Stop", "Create", ...
    last_operation: tuple[str, datetime] | None = None
    # The instance's own ``schedules.computeStartStop`` entries, as the REST API has them.
    schedules: list[Json] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.workspace.id}/computes/{self.name}"

    def render(self) -> Json:
        inner: Json = {"vmSize": self.size}
        if self.compute_type == "ComputeInstance":
            inner["state"] = self.state
            inner["schedules"] = {"computeStartStop": list(self.schedules)}
            if self.last_operation:
                inner["lastOperation"] = {
                    "operationName": self.last_operation[0],
                    "operationTime": iso(self.last_operation[1]),
                    "operationStatus": "Succeeded",
                    "operationTrigger": "User",
                }
        else:
            inner["scaleSettings"] = {"minNodeCount": 0, "maxNodeCount": 4}
        return {
            "id": self.id,
            "name": self.name,
            "type": "Microsoft.MachineLearningServices/workspaces/computes",
            "location": self.workspace.location,
            "tags": dict(self.tags),
            "properties": {
                "computeType": self.compute_type,
                "computeLocation": self.workspace.location,
                "provisioningState": "Succeeded",
                "properties": inner,
            },
        }


@dataclass
class FakeAgentPool:
    name: str
    count: int
    size: str
    mode: str = "User"  # System | User
    enable_auto_scaling: bool = False
    min_count: int | None = None
    max_count: int | None = None
    provisioning_state: str = "Succeeded"
    pool_type: str = "VirtualMachineScaleSets"  # | AvailabilitySet | VirtualMachines

    def profile(self, power: str) -> Json:
        return {
            "count": self.count,
            "vmSize": self.size,
            "mode": self.mode,
            "osType": "Linux",
            "type": self.pool_type,
            "enableAutoScaling": self.enable_auto_scaling,
            "minCount": self.min_count,
            "maxCount": self.max_count,
            "provisioningState": self.provisioning_state,
            "powerState": {"code": power},
        }


@dataclass
class FakeCluster:
    subscription: str
    resource_group: str
    name: str
    location: str
    tags: dict[str, str]
    pools: dict[str, FakeAgentPool]
    power_state: str = "Running"  # Running | Stopped
    provisioning_state: str = "Succeeded"
    # ``Auto``: node auto-provisioning (``nodeProvisioningProfile.mode``), else ``Manual``.
    node_provisioning: str = "Manual"
    sku_name: str = "Base"  # | Automatic (AKS Automatic: node auto-provisioning always on)

    @property
    def id(self) -> str:
        base = rg_id(self.subscription, self.resource_group)
        return f"{base}/providers/Microsoft.ContainerService/managedClusters/{self.name}"

    @property
    def node_resource_group(self) -> str:
        """Where AKS keeps the cluster's scale sets (its default name)."""
        return f"MC_{self.resource_group}_{self.name}_{self.location}"

    def render_pool(self, pool: FakeAgentPool) -> Json:
        return {
            "id": f"{self.id}/agentPools/{pool.name}",
            "name": pool.name,
            "type": "Microsoft.ContainerService/managedClusters/agentPools",
            "properties": pool.profile(self.power_state),
        }

    def render(self) -> Json:
        profiles = [{"name": p.name, **p.profile(self.power_state)} for p in self.pools.values()]
        return {
            "id": self.id,
            "name": self.name,
            "type": "Microsoft.ContainerService/ManagedClusters",
            "location": self.location,
            "tags": dict(self.tags),
            "sku": {"name": self.sku_name, "tier": "Free"},
            "properties": {
                "provisioningState": self.provisioning_state,
                "powerState": {"code": self.power_state},
                "kubernetesVersion": "1.31.2",
                "nodeResourceGroup": self.node_resource_group,
                "nodeProvisioningProfile": {"mode": self.node_provisioning},
                "agentPoolProfiles": profiles,
            },
        }
