"""Compute Engine v1 routes: instances, zone/region operations, MIGs, instance templates.

Shapes follow the Compute Engine API v1 REST reference
(https://cloud.google.com/compute/docs/reference/rest/v1): ``instances.aggregatedList``,
``instances.list/get/stop/start/suspend/resume``, ``zoneOperations.get/wait``,
``regionOperations.get/wait``, ``instanceGroupManagers.aggregatedList/list/resize``,
``regionInstanceGroupManagers.resize``, ``(region)instanceGroupManagers.listManagedInstances``
and ``instanceTemplates.get``. A resize's operation is DONE once its member actions are
scheduled; they are carried out later (``mig_members``).

Every action answers with an Operation ``PENDING``; each read of the operation (``get`` or
``wait``) moves it on, ``RUNNING`` then ``DONE`` (``World.accept``). The resource shows the
transitional status (``STOPPING``, ``STAGING``, ``SUSPENDING``) until the operation is done,
then the new one, or its old one again when the operation was made to fail.
"""

from __future__ import annotations

import copy
from typing import Any

from sandbox.gcp_fake import filters, mig_members
from sandbox.gcp_fake.world import ApiError, Json, World, compute_time, has_local_ssd

P = r"/compute/v1/projects/(?P<project>[^/]+)"
Z = P + r"/zones/(?P<zone>[^/]+)"
R = P + r"/regions/(?P<region>[^/]+)"
Params = dict[str, str]


def _page(items: list[Any], query: Params, default: int = 500) -> tuple[list[Any], str]:
    size = int(query.get("maxResults") or default)
    if not 0 < size <= 500:
        raise ApiError(400, "Invalid value for field 'maxResults': must be in [0, 500]")
    start = int(query.get("pageToken") or 0)
    rest = items[start + size :]
    return items[start : start + size], str(start + size) if rest else ""


def _filtered(world: World, project: str, query: Params) -> list[tuple[str, Json]]:
    alternatives = filters.parse_any(query.get("filter", ""))
    world.check_project(project)
    return [
        (zone, instance)
        for (p, zone, _), instance in sorted(world.instances.items())
        if p == project
        and filters.matches_any(alternatives, filters.labels_lookup(instance["labels"]))
    ]


def aggregated_instances(world: World, params: Params, query: Params, body: Json) -> Json:
    project = params["project"]
    page, token = _page(_filtered(world, project, query), query)
    items: dict[str, Json] = {}
    for zone, instance in page:
        items.setdefault(f"zones/{zone}", {"instances": []})["instances"].append(instance)
    answer: Json = {
        "kind": "compute#instanceAggregatedList",
        "id": f"projects/{project}/aggregated/instances",
        "items": items,
        "selfLink": f"https://www.googleapis.com/compute/v1/projects/{project}/aggregated/instances",
    }
    if token:
        answer["nextPageToken"] = token
    return answer


def list_instances(world: World, params: Params, query: Params, body: Json) -> Json:
    zone = params["zone"]
    rows = [i for z, i in _filtered(world, params["project"], query) if z == zone]
    page, token = _page(rows, query)
    answer: Json = {"kind": "compute#instanceList", "items": page}
    if token:
        answer["nextPageToken"] = token
    return answer


def get_instance(world: World, params: Params, query: Params, body: Json) -> Json:
    return world.get_instance(params["project"], params["zone"], params["name"])


# verb -> (statuses it applies to, status while under way, status once done)
_VERBS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "stop": (("RUNNING", "SUSPENDED", "STAGING", "PROVISIONING"), "STOPPING", "TERMINATED"),
    "start": (("TERMINATED", "STOPPED"), "STAGING", "RUNNING"),
    "suspend": (("RUNNING",), "SUSPENDING", "SUSPENDED"),
    "resume": (("SUSPENDED",), "STAGING", "RUNNING"),
}
_STAMPS = {"stop": "lastStopTimestamp", "suspend": "lastSuspendedTimestamp"}


def _refuse(instance: Json, verb: str, query: Params) -> None:
    """What Compute Engine rejects at once (400), before any operation exists."""
    status = instance["status"]
    if verb in ("stop", "suspend") and has_local_ssd(instance) and "discardLocalSsd" not in query:
        # compute v1 discovery document, instances.stop/suspend ``discardLocalSsd``: "This
        # property is required if the instance has any attached Local SSD disks."
        raise ApiError(
            400,
            f"The instance '{instance['name']}' has a Local SSD attached: discardLocalSsd "
            "is required (true discards the Local SSD data, false preserves it).",
        )
    if verb == "start" and status == "SUSPENDED":
        raise ApiError(400, "The instance is suspended: use resume to start it again.")
    if verb == "suspend" and instance.get("guestAccelerators"):
        raise ApiError(400, "Instances with guest accelerators do not support suspend.")
    if verb in ("suspend", "resume") and status not in _VERBS[verb][0]:
        raise ApiError(400, f"The instance is {status}: it cannot be {verb}d.")


def instance_action(world: World, params: Params, query: Params, body: Json) -> Json:
    project, zone, verb = params["project"], params["zone"], params["action"]
    with world.lock:
        instance = world.get_instance(project, zone, params["name"])
        _refuse(instance, verb, query)
        applies, under_way, done = _VERBS[verb]
        before = instance["status"]

        def finish() -> None:
            instance["status"] = done
            stamp = _STAMPS.get(verb, "lastStartTimestamp")
            instance[stamp] = compute_time(world.clock())

        def revert() -> None:
            instance["status"] = before

        if before in applies:
            instance["status"] = under_way
            progress = world.accept(instance["name"], verb, finish, revert)
        else:  # already there: an operation that changes nothing
            progress = world.accept(instance["name"], verb, lambda: None)
        return world.compute_operation(
            project, f"zones/{zone}", verb, instance["selfLink"], instance["id"], progress
        )


def _operation(world: World, table: dict[tuple[str, str, str], Json], key: Any) -> Json:
    if key not in table:
        raise ApiError(404, f"The resource 'operation {key[2]}' was not found")
    world.poll(key[2])
    return copy.deepcopy(table[key])


def zone_operation(world: World, params: Params, query: Params, body: Json) -> Json:
    key = (params["project"], params["zone"], params["operation"])
    return _operation(world, world.zone_operations, key)


def region_operation(world: World, params: Params, query: Params, body: Json) -> Json:
    key = (params["project"], params["region"], params["operation"])
    return _operation(world, world.region_operations, key)


def aggregated_migs(world: World, params: Params, query: Params, body: Json) -> Json:
    project = params["project"]
    world.check_project(project)
    rows = sorted((k, v) for k, v in world.migs.items() if k[0] == project)
    page, token = _page(rows, query)
    items: dict[str, Json] = {}
    for (_, scope, _), mig in page:
        items.setdefault(scope, {"instanceGroupManagers": []})["instanceGroupManagers"].append(mig)
    answer: Json = {"kind": "compute#instanceGroupManagerAggregatedList", "items": items}
    if token:
        answer["nextPageToken"] = token
    return answer


def list_migs(world: World, params: Params, query: Params, body: Json) -> Json:
    world.check_project(params["project"])
    scope = f"zones/{params['zone']}" if "zone" in params else f"regions/{params['region']}"
    rows = [
        m for (p, s, _), m in sorted(world.migs.items()) if p == params["project"] and s == scope
    ]
    page, token = _page(rows, query)
    answer: Json = {"kind": "compute#instanceGroupManagerList", "items": page}
    if token:
        answer["nextPageToken"] = token
    return answer


def _resize(world: World, project: str, scope: str, name: str, query: Params) -> Json:
    if "size" not in query:
        raise ApiError(400, "Required field 'size' not specified")
    size = int(query["size"])
    if size < 0:
        raise ApiError(400, "Invalid value for field 'size': must be >= 0")
    with world.lock:
        mig = world.migs.get((project, scope, name))
        if mig is None:
            raise ApiError(
                404,
                f"The resource 'projects/{project}/{scope}/instanceGroupManagers/{name}' "
                "was not found",
            )

        def finish() -> None:  # DONE once the actions are scheduled, not carried out
            mig_members.schedule(world, (project, scope, name), size)

        progress = world.accept(name, "resize", finish)
        return world.compute_operation(
            project,
            scope,
            "compute.instanceGroupManagers.resize",
            mig["selfLink"],
            mig["id"],
            progress,
        )


def resize_mig(world: World, params: Params, query: Params, body: Json) -> Json:
    return _resize(world, params["project"], f"zones/{params['zone']}", params["name"], query)


def resize_region_mig(world: World, params: Params, query: Params, body: Json) -> Json:
    return _resize(world, params["project"], f"regions/{params['region']}", params["name"], query)


def list_managed_instances(world: World, params: Params, query: Params, body: Json) -> Json:
    """``instanceGroupManagers.listManagedInstances`` (zonal or regional); each read moves
    the group's pending member actions on (``mig_members``)."""
    project, name = params["project"], params["name"]
    scope = f"zones/{params['zone']}" if "zone" in params else f"regions/{params['region']}"
    key = (project, scope, name)
    world.check_project(project)
    if key not in world.migs:
        raise ApiError(
            404,
            f"The resource 'projects/{project}/{scope}/instanceGroupManagers/{name}' was not found",
        )
    rows = mig_members.managed_instances(world, key)
    mig_members.read(world, key)
    page, token = _page(rows, query)
    answer: Json = {"managedInstances": page}
    if token:
        answer["nextPageToken"] = token
    return answer


def aggregated_resource_policies(world: World, params: Params, query: Params, body: Json) -> Json:
    project = params["project"]
    world.check_project(project)
    rows = sorted((k, v) for k, v in world.resource_policies.items() if k[0] == project)
    page, token = _page(rows, query)
    items: dict[str, Json] = {}
    for (_, region, _), policy in page:
        items.setdefault(f"regions/{region}", {"resourcePolicies": []})["resourcePolicies"].append(
            policy
        )
    answer: Json = {"kind": "compute#resourcePolicyAggregatedList", "items": items}
    if token:
        answer["nextPageToken"] = token
    return answer


def get_template(world: World, params: Params, query: Params, body: Json) -> Json:
    scope = f"regions/{params['region']}" if params.get("region") else "global"
    key = (params["project"], scope, params["name"])
    if key not in world.templates:
        raise ApiError(404, f"The resource 'instanceTemplates/{params['name']}' was not found")
    return copy.deepcopy(world.templates[key])


ROUTES = [
    ("GET", P + r"/aggregated/instances", aggregated_instances),
    ("GET", Z + r"/instances", list_instances),
    ("GET", Z + r"/instances/(?P<name>[^/]+)", get_instance),
    (
        "POST",
        Z + r"/instances/(?P<name>[^/]+)/(?P<action>stop|start|suspend|resume)",
        instance_action,
    ),
    ("GET", Z + r"/operations/(?P<operation>[^/]+)", zone_operation),
    ("POST", Z + r"/operations/(?P<operation>[^/]+)/wait", zone_operation),
    ("GET", R + r"/operations/(?P<operation>[^/]+)", region_operation),
    ("POST", R + r"/operations/(?P<operation>[^/]+)/wait", region_operation),
    ("GET", P + r"/aggregated/instanceGroupManagers", aggregated_migs),
    ("GET", P + r"/aggregated/resourcePolicies", aggregated_resource_policies),
    ("GET", Z + r"/instanceGroupManagers", list_migs),
    ("GET", R + r"/instanceGroupManagers", list_migs),
    ("POST", Z + r"/instanceGroupManagers/(?P<name>[^/]+)/resize", resize_mig),
    ("POST", R + r"/instanceGroupManagers/(?P<name>[^/]+)/resize", resize_region_mig),
    (
        "POST",
        Z + r"/instanceGroupManagers/(?P<name>[^/]+)/listManagedInstances",
        list_managed_instances,
    ),
    (
        "POST",
        R + r"/instanceGroupManagers/(?P<name>[^/]+)/listManagedInstances",
        list_managed_instances,
    ),
    ("GET", P + r"/global/instanceTemplates/(?P<name>[^/]+)", get_template),
    ("GET", R + r"/instanceTemplates/(?P<name>[^/]+)", get_template),
]
