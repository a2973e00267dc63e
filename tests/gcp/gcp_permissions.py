"""Which IAM permissions each REST operation the fake serves needs (from the API references:
the "Authorization requires the following IAM permission" line of each method)."""

from __future__ import annotations

from sandbox.gcp_fake import route_for

ROUTE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "compute.aggregated_instances": ("compute.instances.list",),
    "compute.list_instances": ("compute.instances.list",),
    "compute.get_instance": ("compute.instances.get",),
    "compute.instance_action": (),  # per verb, below
    "compute.zone_operation": ("compute.zoneOperations.get",),
    "compute.region_operation": ("compute.regionOperations.get",),
    "compute.aggregated_migs": ("compute.instanceGroupManagers.list",),
    "compute.list_migs": ("compute.instanceGroupManagers.list",),
    "compute.resize_mig": ("compute.instanceGroupManagers.update",),
    "compute.resize_region_mig": ("compute.instanceGroupManagers.update",),
    "compute.list_managed_instances": ("compute.instanceGroupManagers.get",),
    "compute.aggregated_resource_policies": ("compute.resourcePolicies.list",),
    "compute.get_template": ("compute.instanceTemplates.get",),
    "rest_apis.list_workbench": ("notebooks.instances.list",),
    "rest_apis.get_workbench": ("notebooks.instances.get",),
    "rest_apis.patch_workbench": ("notebooks.instances.update",),
    "rest_apis.workbench_action": (),  # per verb, below
    "rest_apis.get_operation": (),  # per service, below
    "rest_apis.list_endpoints": ("aiplatform.endpoints.list",),
    "rest_apis.get_endpoint": ("aiplatform.endpoints.get",),
    "rest_apis.patch_endpoint": ("aiplatform.endpoints.update",),
    "rest_apis.list_endpoint_operations": ("aiplatform.operations.list",),
    "rest_apis.deploy_model": ("aiplatform.endpoints.deploy", "aiplatform.models.deploy"),
    "rest_apis.undeploy_model": ("aiplatform.endpoints.undeploy",),
    "rest_apis.list_time_series": ("monitoring.timeSeries.list",),
    "rest_apis.list_projects": ("resourcemanager.projects.list",),
    "rest_apis.list_folders": ("resourcemanager.folders.list",),
    "rest_apis.get_project": ("resourcemanager.projects.get",),
    # The snooze function's own calls (infra/gcp/snooze-role.yaml).
    "labels_secrets.set_labels": ("compute.instances.setLabels",),
    "labels_secrets.access_secret": ("secretmanager.versions.access",),
}


def permission_for(method: str, path: str) -> tuple[str, ...]:
    """The permissions one served request needs; an unknown route needs an impossible one."""
    route = route_for(method, path)
    if route is None:
        return (f"<no route for {method} {path}>",)
    if route == "compute.instance_action":
        return (f"compute.instances.{path.rsplit('/', 1)[1]}",)
    if route == "rest_apis.workbench_action":
        return (f"notebooks.instances.{path.rsplit(':', 1)[1]}",)
    if route == "rest_apis.get_operation":
        # Workbench operations have their own permission; Vertex AI endpoint operations
        # are read with the endpoint's.
        if path.startswith("/notebooks/"):
            return ("notebooks.operations.get",)
        return ("aiplatform.endpoints.get",)
    return ROUTE_PERMISSIONS[route]
