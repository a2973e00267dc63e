"""Snooze on Google Cloud: read one resource live and set its override label.

Compute Engine VMs: ``instances.setLabels`` replaces the whole label map and names the
fingerprint it read, so a label someone changed in between is never lost (412: read again
and retry once). Workbench instances and Vertex AI endpoints: their REST ``patch`` of the
labels (``rest_labels.py``). A managed instance group is refused with a clear reason: its
schedule lives in its instance template, which cannot be relabelled in place. The
project's labels are read too and merged under the resource's (``providers/scopes.py``), so
a link on a VM that takes its schedule from its project knows that schedule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from google.api_core import exceptions

from providers.apply import Settled
from providers.base import AdapterOptions, Outcome, Resource
from providers.gcp import calls, operations, project_labels, rest, rest_labels
from providers.gcp.connection import GcpConnection
from providers.gcp.instances import GceInstances
from providers.gcp.vertex_endpoints import VertexEndpoints
from providers.gcp.workbench import WorkbenchInstances
from providers.override_desk import CannotSnooze, DeskError, ResourceNotFound
from providers.scopes import inherit

PERMISSIONS = (
    "compute.instances.get",
    "compute.instances.setLabels",
    "compute.zoneOperations.get",
    *rest_labels.PERMISSIONS,
    project_labels.PERMISSION,
)
_WHY_NOT = {
    "instance-groups": "a managed instance group takes its schedule from its instance "
    "template: keep it running by labelling a new template",
}


class GcpOverrideDesk:
    provider = "gcp"

    def __init__(self, connection: GcpConnection, clock: Callable[[], datetime]) -> None:
        self.connection = connection
        options = AdapterOptions(clock=clock)
        self.instances = GceInstances(connection, options)
        self.workbench = WorkbenchInstances(connection, options)
        self.endpoints = VertexEndpoints(connection, options)

    def read(self, account: str, region: str, kind: str, resource_id: str) -> Resource:
        resource = self._read(account, region, kind, resource_id)
        try:
            scope = project_labels.read_project_scope(self.connection, resource.account)
        except rest.GcpApiError as err:
            raise DeskError(str(err)) from err
        tags, within = inherit(resource.tags, scope)
        return replace(resource, tags=tags, scope=within)

    def _read(self, account: str, region: str, kind: str, resource_id: str) -> Resource:
        if kind in (WorkbenchInstances.kind, VertexEndpoints.kind):
            _same_project(account, resource_id.split("/")[1] if "/" in resource_id else "")
        if kind == WorkbenchInstances.kind:
            base = rest_labels.workbench_base(self.connection)
            instance = rest_labels.get(self.connection, base, resource_id)
            return self.workbench._resource(account, instance, instance.get("labels", {}))
        if kind == VertexEndpoints.kind:
            base = rest_labels.endpoint_base(self.connection, resource_id)
            endpoint = rest_labels.get(self.connection, base, resource_id)
            return self.endpoints._plain(account, resource_id.split("/")[3], endpoint)
        if kind != GceInstances.kind:
            reason = _WHY_NOT.get(kind, f"a snooze link cannot keep a {kind!r} resource running")
            raise CannotSnooze(reason)
        project, zone, name = _parts(resource_id)
        _same_project(account, project)
        return self.instances._resource(project, self._get(project, zone, name))

    def write_override(self, resource: Resource, key: str, value: str) -> None:
        if resource.kind == WorkbenchInstances.kind:
            return rest_labels.label_workbench(self.connection, resource, key, value)
        if resource.kind == VertexEndpoints.kind:
            return rest_labels.label_endpoint(self.connection, resource, key, value)
        project, zone, name = _parts(resource.id)
        for attempt in (1, 2):
            instance = self._get(project, zone, name)
            labels = {**dict(instance.labels), key: value}
            try:
                settled = self._set(project, zone, name, labels, instance.label_fingerprint)
            except exceptions.PreconditionFailed as err:
                if attempt == 2:
                    raise DeskError(f"labels kept changing: {calls.error_text(err)}") from err
                continue
            except calls.API_ERRORS as err:
                raise DeskError(calls.error_text(err)) from err
            if settled.outcome is not Outcome.DONE:
                raise DeskError(f"setLabels did not finish: {settled.error or settled.detail}")
            return

    def _get(self, project: str, zone: str, name: str) -> Any:
        client = self.connection.compute("InstancesClient")
        try:
            return client.get(project=project, zone=zone, instance=name)
        except exceptions.NotFound as err:
            raise ResourceNotFound(f"no instance {name!r} in {project}/{zone}") from err
        except calls.API_ERRORS as err:
            raise DeskError(calls.error_text(err)) from err

    def _set(
        self, project: str, zone: str, name: str, labels: dict[str, str], fingerprint: str
    ) -> Settled:
        from google.cloud import compute_v1

        request = compute_v1.InstancesSetLabelsRequest(labels=labels, label_fingerprint=fingerprint)
        operation = self.connection.compute("InstancesClient").set_labels_unary(
            project=project, zone=zone, instance=name, instances_set_labels_request_resource=request
        )
        return operations.ComputeOperation(self.connection, operation).settle(
            self.connection.deadline()
        )


def _same_project(account: str, project: str) -> None:
    if project != account:
        raise CannotSnooze(f"the link names project {account}, the resource {project}")


def _parts(resource_id: str) -> tuple[str, str, str]:
    """``projects/P/zones/Z/instances/N`` -> (P, Z, N)."""
    parts = resource_id.split("/")
    if len(parts) != 6 or parts[0] != "projects" or parts[2] != "zones":
        raise ResourceNotFound(f"{resource_id!r} is not a Compute Engine instance name")
    return parts[1], parts[3], parts[5]


def desk_for(
    connection: GcpConnection, resource: Resource, clock: Callable[[], datetime]
) -> GcpOverrideDesk:
    """The desk through a scheduler's connection."""
    return GcpOverrideDesk(connection, clock)
