"""Email for the digest: the MIME message (pure), recipients, and the SMTP sender.

Message layout, the one common mail clients render best::

    multipart/alternative
    ├── text/plain                 (the plain-text digest)
    └── multipart/related
        ├── text/html              (inline CSS, no scripts, <img src="cid:…">)
        └── image/png              (Content-ID, inline)

Amazon SES sending is in ``providers/aws/ses_mail.py``; both senders take the same
``EmailMessage``. Cloud senders are named in ``CLOUD_SENDERS`` and imported only when
chosen: a package for one cloud carries only that cloud's ``providers/<cloud>``
(infra/package.py), so an unconditional import of another cloud's sender fails there.
"""

from __future__ import annotations

import importlib
import smtplib
import ssl
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid
from pathlib import Path
from typing import Any, Protocol


class MailError(Exception):
    """A message could not be sent; the text says to whom and why."""


@dataclass(frozen=True)
class CloudSender:
    module: str  # the cloud adapter module that sends
    sender: str  # its sender class, built with the cloud's client
    error: str  # the error type its ``send`` raises


# transport -> the cloud's sender, loaded by name only when that transport is chosen.
CLOUD_SENDERS: dict[str, CloudSender] = {
    "ses": CloudSender("providers.aws.ses_mail", "SesSender", "SesSendError"),
}


def load_cloud_sender(transport: str) -> Any:
    """The sender class of a cloud transport (imports that cloud's adapter module)."""
    entry = CLOUD_SENDERS[transport]
    return getattr(importlib.import_module(entry.module), entry.sender)


def send_errors() -> tuple[type[Exception], ...]:
    """``MailError`` and the error types of the cloud senders already imported: a cloud
    sender can only be in use, and raise, once its module is loaded."""
    errors: list[type[Exception]] = [MailError]
    for entry in CLOUD_SENDERS.values():
        module = sys.modules.get(entry.module)
        if module is not None:
            errors.append(getattr(module, entry.error))
    return tuple(errors)


def build_message(
    subject: str,
    sender: str,
    to: Sequence[str],
    text: str,
    html: str,
    date: float | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = formatdate(date, localtime=False)
    domain = sender.rpartition("@")[2] or "offhours.local"
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def recipients_of(message: EmailMessage) -> list[str]:
    fields = [str(v) for name in ("To", "Cc", "Bcc") for v in message.get_all(name, [])]
    return [address for _, address in getaddresses(fields) if address]


class Sender(Protocol):
    def send(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True)
class SmtpSender:
    """SMTP submission with STARTTLS (port 587) by default; ``starttls=False`` only for a
    relay on a trusted network."""

    host: str
    port: int = 587
    starttls: bool = True
    username: str = ""
    password: str = ""
    context: ssl.SSLContext | None = None
    timeout: float = 30.0

    def send(self, message: EmailMessage) -> None:
        to = recipients_of(message)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls(context=self.context or ssl.create_default_context())
                    smtp.ehlo()
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(message, to_addrs=to)
        except (smtplib.SMTPException, OSError) as err:
            raise MailError(f"SMTP {self.host}:{self.port} to {', '.join(to)}: {err}") from err


@dataclass(frozen=True)
class Recipients:
    """Who gets which digest. YAML file::

    overall: [finops@example.com]       # the fleet-wide summary
    teams:                              # team tag value -> addresses
      web: [web-leads@example.com]
      ml: ml-team@example.com
    default: [platform@example.com]     # teams with no entry and no owner tag
    """

    overall: tuple[str, ...] = ()
    teams: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    default: tuple[str, ...] = ()

    def for_team(self, team: str, owners: Iterable[str] = ()) -> tuple[str, ...]:
        if team in self.teams:
            return self.teams[team]
        from_tags = tuple(sorted({o.strip() for o in owners if "@" in o}))
        return from_tags or self.default


def _addresses(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else list(value)
    return tuple(str(v).strip() for v in items if str(v).strip())


def parse_recipients(data: Any) -> Recipients:
    if data is None:
        return Recipients()
    if not isinstance(data, dict):
        raise ValueError("recipients file must be a mapping with overall, teams, default")
    teams = data.get("teams") or {}
    if not isinstance(teams, dict):
        raise ValueError("recipients: teams must map a team to addresses")
    return Recipients(
        overall=_addresses(data.get("overall")),
        teams={str(k): _addresses(v) for k, v in teams.items()},
        default=_addresses(data.get("default")),
    )


def load_recipients(path: Path) -> Recipients:
    import yaml

    try:
        return parse_recipients(yaml.safe_load(path.read_text()))
    except OSError as err:
        raise ValueError(f"cannot read recipients file {path}: {err.strerror}") from err
    except yaml.YAMLError as err:
        raise ValueError(f"recipients file {path} is not valid YAML: {err}") from err


@dataclass(frozen=True)
class MailConfig:
    """How mail leaves: ``smtp`` (with its server) or ``ses`` (Amazon SES in a region)."""

    transport: str = "ses"
    ses_region: str = ""
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_username: str = ""
    smtp_password: str = ""
    # A local SES (the sandbox's moto); empty means the real endpoint.
    endpoint_url: str = ""


def open_mail_sender(config: MailConfig) -> Sender:
    """The digest's senders for anyone who mails (the notices of a run): SMTP here, SES
    through its cloud module, with the same ``ses:SendRawEmail`` call and permission."""
    if config.transport == "smtp":
        return SmtpSender(
            config.smtp_host,
            config.smtp_port,
            starttls=config.smtp_starttls,
            username=config.smtp_username,
            password=config.smtp_password,
        )
    if config.transport != "ses":
        raise ValueError(f"unknown mail transport {config.transport!r} (ses or smtp)")
    import boto3

    client = boto3.client(
        "ses", region_name=config.ses_region or None, endpoint_url=config.endpoint_url or None
    )
    sender: Sender = load_cloud_sender("ses")(client)
    return sender
