"""AWS's own settings: ``OFFHOURS_AWS_<FIELD>`` (``aws_<field>`` in a config file).

Read and converted with every other setting by ``functions/settings.py``, found through
``providers.SETTINGS``; nothing here imports an AWS SDK at import time.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from providers.base import ConfigError, ProviderConfig


@dataclass(frozen=True)
class AwsSettings:
    # Member account ids; empty = the scheduler's own account (or Organizations, below).
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    # The role assumed in member accounts.
    role_name: str = ""
    # Organizations OU ids (or the root) whose accounts are scheduled.
    organization: str = ""
    # A local endpoint (moto, the sandbox); empty = the real AWS endpoints.
    endpoint_url: str = ""

    def validate(self) -> None:
        known = known_regions() if self.regions else None
        unknown = [r for r in self.regions if known is not None and r not in known]
        if unknown:
            raise ConfigError(
                f"aws_regions: unknown AWS region(s) {', '.join(map(repr, unknown))} "
                "(not in this botocore's partition data; e.g. eu-west-1, us-east-1)",
                "aws_regions",
            )

    def provider_config(self, max_workers: int) -> ProviderConfig:
        return ProviderConfig(
            accounts=self.accounts,
            regions=self.regions,
            role_name=self.role_name,
            organization=self.organization,
            endpoint_url=self.endpoint_url,
            max_workers=max_workers,
        )


@functools.cache
def known_regions() -> frozenset[str] | None:
    """Every region in botocore's partition data; None when botocore is not installed.
    Read once per process (about 50 ms): a warm function parses settings per invocation."""
    try:
        import botocore.loaders
    except ModuleNotFoundError:
        return None
    endpoints = botocore.loaders.create_loader().load_data("endpoints")
    return frozenset(r for p in endpoints["partitions"] for r in p["regions"])
