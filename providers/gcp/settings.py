"""Google Cloud's own settings: ``OFFHOURS_GCP_<FIELD>`` (``gcp_<field>`` in a config file).

Read and converted with every other setting by ``functions/settings.py``, found through
``providers.SETTINGS``; nothing here imports a Google SDK.
"""

from __future__ import annotations

from dataclasses import dataclass

from providers.base import ConfigError, ProviderConfig


@dataclass(frozen=True)
class GcpSettings:
    # Project ids; empty = every active project under ``organization``, else the
    # credentials' own project.
    projects: tuple[str, ...] = ()
    # ``folders/N``, ``organizations/N`` or a bare organization number.
    organization: str = ""
    # A forwarding endpoint (a gateway, the local fake); empty = the real Google APIs.
    endpoint_url: str = ""

    def validate(self) -> None:
        parent = self.organization
        if parent and not (parent.isdigit() or parent.startswith(("folders/", "organizations/"))):
            raise ConfigError(
                f"gcp_organization: {parent!r} is not folders/N, organizations/N or a number",
                "gcp_organization",
            )

    def provider_config(self, max_workers: int) -> ProviderConfig:
        return ProviderConfig(
            accounts=self.projects,
            organization=self.organization,
            endpoint_url=self.endpoint_url,
            max_workers=max_workers,
        )
