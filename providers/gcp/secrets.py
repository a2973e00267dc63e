"""The snooze signing key from Secret Manager (``projects/P/secrets/S/versions/latest``).

The client's REST transport goes through ``ProviderConfig.endpoint_url`` like every other
GCP call here. The payload's CRC32C is checked, as Google recommends for secret reads.
"""

from __future__ import annotations

from typing import Any

import google_crc32c
from google.api_core import exceptions

from providers.gcp.connection import GcpConnection

HOST = "https://secretmanager.googleapis.com"
PERMISSIONS = ("secretmanager.versions.access",)
MIN_KEY_BYTES = 32


class SecretError(Exception):
    """The key could not be read, is damaged in transit, or is too short to sign with."""


def secret_client(connection: GcpConnection) -> Any:
    from google.api_core.client_options import ClientOptions
    from google.cloud import secretmanager

    endpoint = connection.config.endpoint_url
    url = f"{endpoint.rstrip('/')}/{HOST.removeprefix('https://')}" if endpoint else HOST
    return secretmanager.SecretManagerServiceClient(
        credentials=connection.credentials(),
        transport="rest",
        client_options=ClientOptions(api_endpoint=url),
    )


def read_key(name: str, client: Any) -> bytes:
    if "/versions/" not in name:
        name = f"{name.rstrip('/')}/versions/latest"
    try:
        answer = client.access_secret_version(name=name)
    except exceptions.GoogleAPIError as err:
        raise SecretError(f"cannot read the snooze key {name!r}: {err}") from err
    data = bytes(answer.payload.data)
    if answer.payload.data_crc32c and google_crc32c.value(data) != answer.payload.data_crc32c:
        raise SecretError(f"the snooze key {name!r} arrived damaged (CRC32C mismatch)")
    if len(data) < MIN_KEY_BYTES:
        raise SecretError(f"the snooze key {name!r} is shorter than {MIN_KEY_BYTES} bytes")
    return data
