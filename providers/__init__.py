"""The visible registry of clouds, resource kinds and object stores.

Every entry is ``"module:attribute"`` and is imported only when used, so a function
package for one cloud never imports another cloud's SDK. A new kind is one module in
``providers/<cloud>/`` plus one line here.
"""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple

# cloud -> how to connect (``connect(ProviderConfig) -> Connection``). Its keys, in this
# order, are the clouds offhours knows (``clouds()``).
CONNECTIONS: dict[str, str] = {
    "aws": "providers.aws.connection:connect",
    "gcp": "providers.gcp.connection:connect",
    "azure": "providers.azure.connection:connect",
}

# cloud -> its own settings class (``providers.base.CloudSettings``): the fields are the
# settings ``<cloud>_<field>`` (``OFFHOURS_AWS_REGIONS``), read by ``functions/settings.py``.
SETTINGS: dict[str, str] = {
    "aws": "providers.aws.settings:AwsSettings",
    "gcp": "providers.gcp.settings:GcpSettings",
    "azure": "providers.azure.settings:AzureSettings",
}

# cloud -> kind -> adapter class, built as ``Adapter(connection, AdapterOptions)``
KINDS: dict[str, dict[str, str]] = {
    "gcp": {
        "instances": "providers.gcp.instances:GceInstances",
        "instance-groups": "providers.gcp.instance_groups:ManagedInstanceGroups",
        "workbench": "providers.gcp.workbench:WorkbenchInstances",
        "vertex-endpoints": "providers.gcp.vertex_endpoints:VertexEndpoints",
    },
    "aws": {
        "ec2": "providers.aws.ec2:Ec2Instances",
        "rds": "providers.aws.rds:RdsInstances",
        "aurora": "providers.aws.rds:AuroraClusters",
        "asg": "providers.aws.asg:AutoScalingGroups",
        "eks-nodegroups": "providers.aws.eks_nodegroups:EksNodegroups",
        "ecs": "providers.aws.ecs:EcsServices",
        "sagemaker-notebooks": "providers.aws.sagemaker_notebooks:SageMakerNotebooks",
        "sagemaker-endpoints": "providers.aws.sagemaker_endpoints:SageMakerEndpoints",
    },
    "azure": {
        "vms": "providers.azure.vms:VirtualMachines",
        "scale-sets": "providers.azure.scale_sets:ScaleSets",
        "ml-compute": "providers.azure.ml_compute:MlComputeInstances",
        "aks": "providers.azure.aks:AksClusters",
    },
}

# cloud -> what reads the maintenance windows a resource's tag names, once per target
# (``attach(connection, target, resources, tag_key) -> resources``, the facts in ``extra``).
MAINTENANCE_WINDOWS: dict[str, str] = {
    "aws": "providers.aws.maintenance_windows:attach",
}

# URL scheme -> object store class, built as ``Store(url, endpoint_url="")``
STORES: dict[str, str] = {
    "gs": "providers.gcp.gcs_store:GcsStore",
    "s3": "providers.aws.s3_store:S3Store",
    "azblob": "providers.azure.blob_store:BlobStore",
}


# cloud -> live price source, built as ``from_connection(connection)`` (providers/pricing.py).
PRICE_SOURCES: dict[str, str] = {
    "aws": "providers.aws.price_list:from_connection",
    "gcp": "providers.gcp.billing_catalog:from_connection",
    "azure": "providers.azure.retail_prices:from_connection",
}


# cloud -> the override desk (``providers/override_desk.py``) for a resource, built from
# the job's own connection as ``desk_for(connection, resource, clock)``.
DESKS: dict[str, str] = {
    "aws": "providers.aws.override_tag:desk_for",
    "gcp": "providers.gcp.override_tag:desk_for",
    "azure": "providers.azure.override_tag:desk_for",
}


# cloud -> the SDK errors that say something about the caller's setup (``caller_errors()
# -> {error type: CallerError}``), so the CLI names them without matching class names.
ERRORS: dict[str, str] = {
    "aws": "providers.aws.errors:caller_errors",
    "gcp": "providers.gcp.errors:caller_errors",
    "azure": "providers.azure.errors:caller_errors",
}


class CallerError(NamedTuple):
    """How the command line reports one SDK error type: a hint, and whether it is the
    caller's setup (exit 2) rather than a failed run (exit 1)."""

    hint: str
    usage: bool


def caller_errors() -> dict[type[BaseException], CallerError]:
    """Every cloud's caller errors, from the clouds whose package and SDK are installed
    (a function package carries one cloud only)."""
    found: dict[type[BaseException], CallerError] = {}
    for errors in installed(ERRORS).values():
        found.update(errors())
    return found


def installed(table: dict[str, str]) -> dict[str, Any]:
    """``table``'s entries loaded, for the clouds whose ``providers/<cloud>`` this package
    carries (a function package carries one cloud only), in the registry's order."""
    found: dict[str, Any] = {}
    for cloud in clouds():
        if cloud not in table:
            continue
        try:
            found[cloud] = load(table[cloud])
        except ModuleNotFoundError as err:
            if err.name != f"providers.{cloud}" and err.name != table[cloud].split(":")[0]:
                raise
    return found


def clouds() -> tuple[str, ...]:
    """Every cloud of the registry, in its order: what settings, the CLI and the demo offer."""
    return tuple(CONNECTIONS)


def load(path: str) -> Any:
    """Import ``"module:attribute"`` from the registry."""
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)
