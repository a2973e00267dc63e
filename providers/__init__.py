"""The visible registry of clouds, resource kinds and object stores.

Every entry is ``"module:attribute"`` and is imported only when used, so a function
package for one cloud never imports another cloud's SDK. A new kind is one module in
``providers/<cloud>/`` plus one line here.
"""

from __future__ import annotations

import importlib
from typing import Any

# cloud -> how to connect (``connect(ProviderConfig) -> Connection``). Its keys, in this
# order, are the clouds offhours knows (``clouds()``).
CONNECTIONS: dict[str, str] = {
    "aws": "providers.aws.connection:connect",
    "gcp": "providers.gcp.connection:connect",
    "azure": "providers.azure.connection:connect",
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


def clouds() -> tuple[str, ...]:
    """Every cloud of the registry, in its order: what settings, the CLI and the demo offer."""
    return tuple(CONNECTIONS)


def load(path: str) -> Any:
    """Import ``"module:attribute"`` from the registry."""
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)
