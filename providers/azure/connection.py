"""Reaching Azure: one credential, lazily built clients, one target per subscription.

Credentials are ``DefaultAzureCredential`` (managed identity in the Function app, a client
secret or the CLI login on a laptop; ``AZURE_AUTHORITY_HOST`` picks the Entra ID authority)
unless one is passed in. ``ProviderConfig.endpoint_url`` replaces the Resource Manager
endpoint (a sovereign cloud, or the local fake); nothing else changes with it. Long-running
operations are polled as often as ARM's ``Retry-After`` says, else every
``polling_interval`` seconds. Nothing here imports an Azure SDK at module import time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from providers.apply import Budget, Deadline, apply_deadline
from providers.azure.common import PROVIDER, region
from providers.base import ProviderConfig, Scope, Target

if TYPE_CHECKING:
    from providers.azure.arm import ArmRest

ARM_ENDPOINT = "https://management.azure.com"
SUBSCRIPTIONS_API = "2022-12-01"
# Subscription states in which resources still run (and bill); Disabled/Deleted are skipped.
_ACTIVE_STATES = {"enabled", "warned", "pastdue"}
# What listing targets needs, beside the adapters' own permissions.
CONNECTION_PERMISSIONS = ("Microsoft.Resources/subscriptions/read",)


@dataclass
class AzureConnection:
    config: ProviderConfig
    credential: Any
    provider: str = PROVIDER
    # Seconds between long-running-operation polls when ARM sends no Retry-After.
    polling_interval: float = 15.0
    # How long apply waits for all started operations together before it records the
    # rest as accepted (the next run sees their state and verifies).
    lro_timeout: float = 240.0
    # The clock of that deadline (monotonic seconds), never the wall clock.
    monotonic: Callable[[], float] = time.monotonic
    # What the job has left (set by the job): an apply never waits past it.
    budget: Budget | None = None
    _compute: dict[str, Any] = field(default_factory=dict)
    _arm: ArmRest | None = None
    _group_scopes: dict[str, dict[str, Scope]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return (self.config.endpoint_url or ARM_ENDPOINT).rstrip("/")

    def deadline(self) -> Deadline:
        """One apply's deadline, starting now: ``lro_timeout``, or what the job's budget
        leaves if that is less."""
        return apply_deadline(self.lro_timeout, self.budget, self.monotonic)

    def compute(self, subscription: str) -> Any:
        """A ``ComputeManagementClient`` for one subscription (cached)."""
        with self._lock:
            client = self._compute.get(subscription)
            if client is None:
                from azure.mgmt.compute import ComputeManagementClient

                client = ComputeManagementClient(
                    self.credential,
                    subscription,
                    base_url=self.base_url,
                    polling_interval=self.polling_interval,
                )
                self._compute[subscription] = client
            return client

    def release(self, target: Target) -> None:
        """Forget the finished subscription's compute client and resource-group scopes: a
        run over hundreds of subscriptions keeps only those in use (a later call for the
        same subscription makes a new client)."""
        with self._lock:
            self._compute.pop(target.account, None)
            self._group_scopes.pop(target.account, None)

    def arm(self) -> ArmRest:
        """The raw ARM REST client (subscriptions, Azure ML, AKS)."""
        with self._lock:
            if self._arm is None:
                from providers.azure.arm import ArmRest

                self._arm = ArmRest(
                    self.base_url, self.credential, polling_interval=self.polling_interval
                )
            return self._arm

    def group_scopes(self, subscription: str) -> dict[str, Scope]:
        """The subscription's tagged resource groups, read once per connection (one run)
        whichever kinds ask (``providers/azure/resource_groups.py``)."""
        with self._lock:
            cached = self._group_scopes.get(subscription)
        if cached is None:
            from providers.azure.resource_groups import list_group_scopes

            cached = list_group_scopes(self.arm(), subscription)
            with self._lock:
                self._group_scopes.setdefault(subscription, cached)
        return cached

    def in_scope(self, location: str | None) -> bool:
        """``ProviderConfig.regions`` limits Azure to some locations; empty means all."""
        regions = {region(r) for r in self.config.regions}
        return not regions or region(location) in regions

    def targets(self) -> Sequence[Target]:
        """The configured subscriptions, or every active one the identity can see."""
        if self.config.accounts:
            return [Target(PROVIDER, sub) for sub in self.config.accounts]
        subscriptions = self.arm().list("/subscriptions", SUBSCRIPTIONS_API)
        return [
            Target(PROVIDER, str(sub["subscriptionId"]))
            for sub in subscriptions
            if str(sub.get("state", "Enabled")).lower() in _ACTIVE_STATES
        ]


def connect(config: ProviderConfig, credential: Any = None) -> AzureConnection:
    """Build the connection; no network call happens until a client is used."""
    if credential is None:
        from azure.identity import DefaultAzureCredential

        # The authority is configuration offhours trusts (the public cloud's unless
        # AZURE_AUTHORITY_HOST says otherwise); instance discovery would only ask
        # login.microsoftonline.com to vouch for a host that is not Microsoft's own.
        credential = DefaultAzureCredential(disable_instance_discovery=True)
    return AzureConnection(config, credential)


if TYPE_CHECKING:  # mypy holds the connection to everything the job uses of it
    from providers.base import Connection

    _CHECKED: type[Connection] = AzureConnection
