"""The snooze signing key from Azure Key Vault: ``https://VAULT.vault.azure.net/secrets/NAME``.

``azure-keyvault-secrets`` with the deployment's credential (the Function App's managed
identity). ``verify_challenge_resource`` stays on against the real service; a local vault
(the sandbox) answers from another host than ``*.vault.azure.net``, so it is turned off
only when a local endpoint is configured.
"""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import AzureError

PERMISSIONS = ("Microsoft.KeyVault/vaults/secrets/getSecret/action",)
MIN_KEY_BYTES = 32


class SecretError(Exception):
    """The key could not be read, or is too short to sign with."""


def split_secret_url(url: str) -> tuple[str, str, str]:
    """``https://v.vault.azure.net/secrets/name[/version]`` -> (vault URL, name, version)."""
    vault, marker, rest = url.rstrip("/").partition("/secrets/")
    if not marker or not rest:
        raise SecretError(f"{url!r} is not a Key Vault secret URL (…/secrets/NAME)")
    name, _, version = rest.partition("/")
    return vault, name, version


def read_key(url: str, credential: Any, local: bool = False) -> bytes:
    from azure.keyvault.secrets import SecretClient

    vault, name, version = split_secret_url(url)
    client = SecretClient(vault, credential, verify_challenge_resource=not local)
    try:
        secret = client.get_secret(name, version or None)
    except AzureError as err:
        raise SecretError(f"cannot read the snooze key {url!r}: {err}") from err
    key = (secret.value or "").encode()
    if len(key) < MIN_KEY_BYTES:
        raise SecretError(f"the snooze key {url!r} is shorter than {MIN_KEY_BYTES} bytes")
    return key
