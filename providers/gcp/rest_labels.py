"""The override label on the GCP kinds reached through JSON REST, for the snooze links.

- Workbench instances (notebooks v2): ``instances.patch`` with ``updateMask=labels`` and
  the whole label map, a long-running operation read until done. The API has no label
  fingerprint: the map is read just before the patch, so only a change made in between
  could be lost.
- Vertex AI endpoints (aiplatform v1): ``endpoints.patch`` with ``updateMask=labels``, the
  whole label map and the ``etag`` read with it, answered with the endpoint; an endpoint
  changed in between is refused (``ABORTED``) and read again once.
"""

from __future__ import annotations

from typing import Any

from providers.base import Outcome, Resource
from providers.gcp import rest
from providers.gcp.connection import GcpConnection
from providers.gcp.operations import LongRunning
from providers.override_desk import DeskError, ResourceNotFound

PERMISSIONS = (
    "notebooks.instances.get",
    "notebooks.instances.update",
    "notebooks.operations.get",
    "aiplatform.endpoints.get",
    "aiplatform.endpoints.update",
)


def workbench_base(connection: GcpConnection) -> str:
    return connection.base_url("notebooks")


def endpoint_base(connection: GcpConnection, resource_id: str) -> str:
    """``projects/P/locations/REGION/endpoints/N``: the regional service endpoint."""
    parts = resource_id.split("/")
    if len(parts) != 6 or parts[4] != "endpoints":
        raise ResourceNotFound(f"{resource_id!r} is not a Vertex AI endpoint name")
    return connection.base_url("aiplatform", parts[3])


def get(connection: GcpConnection, base: str, resource_id: str) -> dict[str, Any]:
    try:
        return rest.call(connection.session(), "GET", f"{base}/{resource_id}")
    except rest.GcpApiError as err:
        if err.code == 404:
            raise ResourceNotFound(f"no {resource_id!r}") from err
        raise DeskError(str(err)) from err


def label_workbench(connection: GcpConnection, resource: Resource, key: str, value: str) -> None:
    base = workbench_base(connection)
    labels = {**get(connection, base, resource.id).get("labels", {}), key: value}
    try:
        operation = _patch(connection, base, resource.id, {"labels": labels})
    except rest.GcpApiError as err:
        raise DeskError(str(err)) from err
    settled = LongRunning(connection, base, operation).settle(connection.deadline())
    if settled.outcome is not Outcome.DONE:
        raise DeskError(f"the label change did not finish: {settled.error or settled.detail}")


def label_endpoint(connection: GcpConnection, resource: Resource, key: str, value: str) -> None:
    base = endpoint_base(connection, resource.id)
    for attempt in (1, 2):
        endpoint = get(connection, base, resource.id)
        body = {"labels": {**endpoint.get("labels", {}), key: value}, "etag": endpoint.get("etag")}
        try:
            _patch(connection, base, resource.id, {k: v for k, v in body.items() if v})
            return
        except rest.GcpApiError as err:
            if err.code == 409 and attempt == 1:
                continue  # changed since it was read (etag): read it again
            raise DeskError(str(err)) from err


def _patch(connection: GcpConnection, base: str, name: str, body: dict[str, Any]) -> rest.Json:
    url = f"{base}/{name}"
    return rest.call(connection.session(), "PATCH", url, params={"updateMask": "labels"}, body=body)
