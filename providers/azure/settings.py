"""Azure's own settings: ``OFFHOURS_AZURE_<FIELD>`` (``azure_<field>`` in a config file).

Read and converted with every other setting by ``functions/settings.py``, found through
``providers.SETTINGS``; nothing here imports an Azure SDK.
"""

from __future__ import annotations

from dataclasses import dataclass

from providers.base import ProviderConfig


@dataclass(frozen=True)
class AzureSettings:
    # Subscription ids; empty = every active subscription the identity can see.
    subscriptions: tuple[str, ...] = ()
    # Replaces the Resource Manager endpoint (a sovereign cloud, the local fake).
    endpoint_url: str = ""

    def validate(self) -> None:
        """Nothing to refuse ahead of the run: a subscription id is checked by ARM."""

    def provider_config(self, max_workers: int) -> ProviderConfig:
        return ProviderConfig(
            accounts=self.subscriptions, endpoint_url=self.endpoint_url, max_workers=max_workers
        )
