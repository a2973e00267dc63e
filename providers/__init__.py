"""The visible registry of clouds, resource kinds and object stores.

Every entry is ``"module:attribute"`` and is imported only when used, so a function
package for one cloud never imports another cloud's SDK. A new kind is one module in
``providers/<cloud>/`` plus one line here.
"""

from __future__ import annotations

import importlib
from typing import Any

# cloud -> how to connect (``connect(ProviderConfig) -> Connection``)
CONNECTIONS: dict[str, str] = {
    "aws": "providers.aws.connection:connect",
}

# cloud -> kind -> adapter class, built as ``Adapter(connection, AdapterOptions)``
KINDS: dict[str, dict[str, str]] = {
    "aws": {
        "ec2": "providers.aws.ec2:Ec2Instances",
    },
}

# URL scheme -> object store class, built as ``Store(url, endpoint_url="")``
STORES: dict[str, str] = {
    "s3": "providers.aws.s3_store:S3Store",
}


def load(path: str) -> Any:
    """Import ``"module:attribute"`` from the registry."""
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)
