"""The snooze signing key, read from the deployment's secret store.

The environment names the secret, never holds it: ``ssm:/offhours/snooze-key`` is an SSM
SecureString parameter (decrypted on read), anything else a Secrets Manager secret id or
ARN. A text secret's UTF-8 bytes are the key; a binary secret is used as it is.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

SSM_PREFIX = "ssm:"
# Shorter keys make HMAC-SHA256 guessable; 32 bytes is its block-size-safe minimum.
MIN_KEY_BYTES = 32


class SecretError(Exception):
    """The key could not be read, or is too short to sign with."""


def read_key(name: str, client: Any) -> bytes:
    """``client``: an SSM client for ``ssm:`` names, else a Secrets Manager client."""
    try:
        if name.startswith(SSM_PREFIX):
            answer = client.get_parameter(Name=name[len(SSM_PREFIX) :], WithDecryption=True)
            key = str(answer["Parameter"]["Value"]).encode()
        else:
            answer = client.get_secret_value(SecretId=name)
            binary = answer.get("SecretBinary")
            key = bytes(binary) if binary is not None else str(answer["SecretString"]).encode()
    except (ClientError, BotoCoreError) as err:
        raise SecretError(f"cannot read the snooze key {name!r}: {err}") from err
    if len(key) < MIN_KEY_BYTES:
        raise SecretError(f"the snooze key {name!r} is shorter than {MIN_KEY_BYTES} bytes")
    return key


def service_for(name: str) -> str:
    """The boto3 service whose client ``read_key`` needs."""
    return "ssm" if name.startswith(SSM_PREFIX) else "secretsmanager"
