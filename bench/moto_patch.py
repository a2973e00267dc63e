"""A moto server for the benchmarks, with three per-request costs of moto's own removed.

Run as ``python moto_patch.py PORT`` (``meter.start_moto(port, script=...)``). Only the
benchmarks use it; the tests run the stock server. None of the patches changes an
answer; they change what moto's server costs per request, which on a shared machine is
wall time taken from the measured client (the server and the client share the cores):

- ``list_of_moto_modules`` lists moto's package directory and stats every entry on each
  request to find which service a host names; the list is made once here.
- ``method_names_from_class`` walks each response class with ``inspect.getmembers`` on
  each request; the names are kept per class here.
- ``GetResources`` walks every taggable service's backend of the account and region,
  creating those not yet used (an EC2 backend brings hundreds of default AMIs, VPCs and
  security groups to scan), whatever the request's ``ResourceTypeFilters``. Here it
  walks only the services those filters name, and only backends that exist: a service
  never used in an account and region holds no resources to report.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterator
from typing import Any

import moto.backends
import moto.core.responses
import moto.resourcegroupstaggingapi.models as tagging
from moto.core.base_backend import BackendDict
from moto.core.resource_tagging import TaggableResourcesMixin


def _patch_lookups() -> None:
    modules = tuple(moto.backends.list_of_moto_modules())
    moto.backends.list_of_moto_modules = lambda: modules  # type: ignore[assignment,return-value]
    cached = functools.cache(moto.core.responses.method_names_from_class)
    moto.core.responses.method_names_from_class = cached  # type: ignore[assignment]


def _used_backends(
    account_id: str, region_name: str, services: set[str] | None
) -> Iterator[TaggableResourcesMixin]:
    for backend_dict in list(BackendDict._instances):  # type: ignore[misc]
        if services is not None and backend_dict.service_name not in services:
            continue
        if not isinstance(backend_dict.backend, type):
            continue
        if not issubclass(backend_dict.backend, TaggableResourcesMixin):
            continue
        if not dict.__contains__(backend_dict, account_id):
            continue
        by_region = dict.__getitem__(backend_dict, account_id)
        for key in (region_name, "aws"):  # a regional backend, or a global one (S3)
            # Its own keys (created backends), not its __contains__ (any valid region).
            if dict.__contains__(by_region, key):
                yield by_region[key]
                break


def _patch_get_resources() -> None:
    def generator(
        self: Any,
        tag_filters: Any = None,
        resource_type_filters: list[str] | None = None,
        resource_arn_list: Any = None,
    ) -> Iterator[Any]:
        """moto's own loop and filters, over the filtered services' used backends."""
        services = {t.split(":", 1)[0] for t in resource_type_filters or ()} or None
        tag_matcher = tagging.make_tag_matcher(tag_filters)
        for backend in _used_backends(self.account_id, self.region_name, services):
            for resource in backend.iter_tagged_resources():
                if not resource.tags and not resource.extra.get("include_untagged"):
                    continue
                if not tagging.match_resource_type(resource.resource_type, resource_type_filters):
                    continue
                if not tag_matcher(resource.tags):
                    continue
                if resource_arn_list and resource.arn not in resource_arn_list:
                    continue
                yield resource

    tagging.ResourceGroupsTaggingAPIBackend._get_resources_generator = generator  # type: ignore[method-assign]


if __name__ == "__main__":
    _patch_lookups()
    _patch_get_resources()
    from moto.server import main

    main(["-H", "127.0.0.1", "-p", sys.argv[1]])
