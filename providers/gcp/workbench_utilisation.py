"""GPU and CPU utilisation of Vertex AI Workbench instances, for the idle rule.

A Workbench instance (Notebooks API v2) runs on a Compute Engine VM of the same name in the
instance's zone (its location), in the same project. Its signals are that VM's, on the
``gce_instance`` monitored resource: the Ops Agent's ``agent.googleapis.com/gpu/utilization``
per ``gpu_number`` and ``compute.googleapis.com/instance/cpu/utilization``, read by
``providers/gcp/utilisation.py`` (one ``projects.timeSeries.list`` per 100 VMs due a look).

The Notebooks v2 ``Instance`` names no VM id (its ``id`` is the notebook's own), and
Monitoring matches series by the VM's numeric ``instance_id``: each idle-tagged running
instance costs one ``instances.get`` of its VM per run. A VM that cannot be read leaves
that instance "unknown" (never idle) with the reason.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from providers.base import AdapterOptions, Resource, ResourceState, Target
from providers.gcp import calls, gpu_processes, utilisation

PERMISSIONS = ("compute.instances.get", *utilisation.PERMISSIONS)


def mark_idle(
    connection: Any, options: AdapterOptions, target: Target, resources: list[Resource]
) -> list[Resource]:
    """The idle pass of one project's Workbench instances."""
    tagged = [r for r in resources if options.idle_tag_key in r.tags]
    if not tagged:
        return resources
    # Only a running instance is measured; stopped ones still have their tags checked.
    vms, missing = _vm_ids(connection, [r for r in tagged if r.state is ResourceState.RUNNING])
    numbered = [
        replace(r, extra={**r.extra, "instance_id": vms[r.id]}) if r.id in vms else r
        for r in resources
        if r.id not in missing
    ]
    marked = utilisation.mark_idle(connection, options, target, numbered)
    named = gpu_processes.name_work(connection, options, target, marked)
    judged = {r.key: r for r in named}
    return [judged.get(r.key) or _unreadable(r, missing[r.id]) for r in resources]


def _vm_ids(connection: Any, running: list[Resource]) -> tuple[dict[str, str], dict[str, str]]:
    """Instance name -> its VM's numeric id, and instance name -> why it could not be read."""
    vms: dict[str, str] = {}
    missing: dict[str, str] = {}
    if not running:
        return vms, missing
    client = connection.compute("InstancesClient")
    for resource in running:
        project, zone, name = _parts(resource.id)
        try:
            vms[resource.id] = str(client.get(project=project, zone=zone, instance=name).id)
        except calls.API_ERRORS as err:
            missing[resource.id] = calls.error_text(err)
    return vms, missing


def _unreadable(resource: Resource, error: str) -> Resource:
    return replace(
        resource, idle_note=f"idle unknown: its Compute Engine VM is unreadable ({error})"
    )


def _parts(resource_id: str) -> tuple[str, str, str]:
    """``projects/P/locations/Z/instances/N`` -> (P, Z, N)."""
    parts = resource_id.split("/")
    return parts[1], parts[3], parts[5]
