"""Send a MIME message through Amazon SES (``send_raw_email``: keeps our multipart
layout and the inline chart exactly as built). The client is injected."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any


class SesSendError(Exception):
    """SES refused or could not take the message."""


class SesSender:
    def __init__(self, client: Any, configuration_set: str = "") -> None:
        self.client = client  # boto3.client("ses", region_name=...)
        self.configuration_set = configuration_set

    def send(self, message: EmailMessage) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        fields = [str(v) for name in ("To", "Cc", "Bcc") for v in message.get_all(name, [])]
        destinations = [address for _, address in getaddresses(fields) if address]
        kwargs: dict[str, Any] = {
            "Source": str(message["From"]),
            "Destinations": destinations,
            "RawMessage": {"Data": message.as_bytes()},
        }
        if self.configuration_set:
            kwargs["ConfigurationSetName"] = self.configuration_set
        try:
            self.client.send_raw_email(**kwargs)
        except (ClientError, BotoCoreError) as err:
            raise SesSendError(f"SES to {', '.join(destinations)}: {err}") from err
