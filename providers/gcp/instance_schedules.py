"""VMs that Compute Engine itself starts and stops: instance schedules.

An instance schedule is a resource policy with ``instanceSchedulePolicy`` (``vmStartSchedule``
/ ``vmStopSchedule`` cron lines) attached to VMs through ``Instance.resourcePolicies``
(compute v1 discovery document; "Schedule a VM to start and stop",
https://cloud.google.com/compute/docs/instances/schedule-instance-start-stop). Two
schedulers on one VM fight each other, so a VM with one is left alone. Other resource
policies (snapshot schedules, placement) do not start or stop anything.

The policies are read only when a listed VM has any, with one ``aggregatedList`` per
project.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from providers.gcp.connection import GcpConnection


def schedule_policies(connection: GcpConnection, project: str) -> set[str]:
    """The project's instance schedules, as ``projects/P/regions/R/resourcePolicies/N``."""
    client = connection.compute("ResourcePoliciesClient")
    found: set[str] = set()
    request = {"project": project, "max_results": 500}
    for _scope, scoped in client.aggregated_list(request=request):
        for policy in scoped.resource_policies:
            if "instance_schedule_policy" in policy:
                found.add(_path(policy.self_link))
    return found


def refusal(policies: Iterable[str], schedules: AbstractSet[str] | None) -> str:
    """Why a VM with these resource policies is not scheduled; empty if it may be.
    ``schedules`` is None when the project's policies could not be read."""
    policies = list(policies)
    if policies and schedules is None:
        return "its resource policies could not be read: an instance schedule may run it"
    for url in policies:
        if _path(url) in (schedules or ()):
            return (
                f"started and stopped by the Compute Engine instance schedule "
                f"{url.rsplit('/', 1)[-1]}: remove it from the VM to let offhours schedule it"
            )
    return ""


def _path(url: str) -> str:
    return "projects/" + url.split("/projects/", 1)[-1]
