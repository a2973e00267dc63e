"""Snooze links for the notices of the GCP and Azure scheduler functions.

The scheduler signs each notice's links with the key the snooze function checks them with:
on GCP the Secret Manager secret ``OFFHOURS_SNOOZE_KEY_SECRET`` names
(``projects/P/secrets/S``), on Azure the Key Vault secret URL it names
(``https://VAULT.vault.azure.net/secrets/NAME``), read with the function's own identity,
as the snooze functions read them (``gcp_snooze.py``, ``azure_snooze.py``). The AWS
function's twin is ``aws_lambda.snooze_links``. A key that cannot be read costs the links,
never the run: the notices then suggest the override tag.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import providers
from functions.settings import Settings

if TYPE_CHECKING:
    from functions.jobs.notices.model import LinkMaker

logger = logging.getLogger("offhours")


def wants_links(settings: Settings) -> bool:
    """Notices are on and a snooze function with its key is configured."""
    notices = settings.notice_transport or settings.notice_channels
    return bool(notices and settings.snooze_url and settings.snooze_key_secret)


def _signed(
    settings: Settings, read: Callable[[], bytes], error: type[Exception]
) -> LinkMaker | None:
    from functions.jobs.snooze.links import link_maker

    try:
        key = read()
    except error as err:
        logger.warning("notices go without snooze links: %s", err)
        return None
    return link_maker(settings.snooze_url, key)


def gcp_links(settings: Settings) -> LinkMaker | None:
    if not wants_links(settings):
        return None
    # Through "module:attribute" strings: other clouds' artefacts leave providers/gcp out.
    connect = providers.load("providers.gcp.connection:connect")
    read_key = providers.load("providers.gcp.secrets:read_key")
    secret_client = providers.load("providers.gcp.secrets:secret_client")
    error = providers.load("providers.gcp.secrets:SecretError")
    connection = connect(settings.provider_config("gcp"))
    return _signed(
        settings, lambda: read_key(settings.snooze_key_secret, secret_client(connection)), error
    )


def azure_links(settings: Settings) -> LinkMaker | None:
    if not wants_links(settings):
        return None
    connect = providers.load("providers.azure.connection:connect")
    read_key = providers.load("providers.azure.secrets:read_key")
    error = providers.load("providers.azure.secrets:SecretError")
    connection = connect(settings.provider_config("azure"))
    # A local fake's vault is not on vault.azure.net: its challenge resource differs.
    local = bool(settings.endpoint_url("azure"))
    return _signed(
        settings,
        lambda: read_key(settings.snooze_key_secret, connection.credential, local=local),
        error,
    )
