"""Sending: SMTP with STARTTLS to an in-process aiosmtpd server, and Amazon SES in moto.

The received MIME messages are parsed back and their numbers checked against the ledger.
The SMTP server's certificate is self-signed, made at test time with ``cryptography``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import boto3
import pytest
from digest_week import NOW, Week

from functions.jobs.digest import DigestSettings, run_digest
from functions.mail import SmtpSender
from providers.aws.ses_mail import SesSender

RECIPIENTS = """\
overall: [finops@example.com]
teams:
  ml: ml-leads@example.com
default: [platform@example.com]
"""


def _certificate(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes, bool]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        tls = session.ssl is not None
        self.messages.append((list(envelope.rcpt_tos), bytes(envelope.content), tls))
        return "250 OK"


@pytest.fixture
def smtp(tmp_path: Path) -> Iterator[tuple[int, Inbox, ssl.SSLContext]]:
    from aiosmtpd.controller import Controller

    cert, key = _certificate(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=server_context,
        require_starttls=True,
    )
    controller.start()
    try:
        yield port, inbox, client_context
    finally:
        controller.stop()


def _parse(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _check_structure(message: EmailMessage) -> tuple[str, str]:
    """multipart/alternative [text/plain, text/html]: the chart is HTML bars, so there is
    no image part and nothing for a mail client to block."""
    assert message.get_content_type() == "multipart/alternative"
    parts: list[Any] = list(message.iter_parts())
    plain, html_part = parts
    assert plain.get_content_type() == "text/plain"
    assert html_part.get_content_type() == "text/html"
    html = html_part.get_content()
    assert "<img" not in html.lower() and "cid:" not in html
    return plain.get_content(), html


def money(value: float) -> str:
    return f"${value:,.2f}"


def test_smtp_starttls_delivers_every_digest_with_the_ledger_numbers(
    week: Week, tmp_path: Path, smtp: tuple[int, Inbox, ssl.SSLContext]
) -> None:
    port, inbox, context = smtp
    mapping = tmp_path / "recipients.yaml"
    mapping.write_text(RECIPIENTS)
    settings = DigestSettings(
        ledger=week.root,
        transport="smtp",
        smtp_host="127.0.0.1",
        smtp_port=port,
        recipients=str(mapping),
        sender="offhours@example.com",
    )
    sender = SmtpSender("127.0.0.1", port, context=context)
    run = run_digest(settings, "2026-W48", send=True, preview=None, now=NOW, sender=sender)

    assert run.skipped == []
    received = {tuple(to): _parse(raw) for to, raw, _ in inbox.messages}
    assert all(tls for _, _, tls in inbox.messages)  # every message went over STARTTLS
    # fleet -> mapping "overall"; web -> owner tag; ml -> mapping; data -> mapping default
    assert set(received) == {
        ("finops@example.com",),
        ("alice@example.com",),
        ("ml-leads@example.com",),
        ("platform@example.com",),
    }
    text, html = _check_structure(received[("finops@example.com",)])
    for body in (text, html):
        assert money(week.saved) in body and money(week.would) in body
        assert money(week.did) in body and week.percent in body
    assert 'id="daily-chart"' in html  # the day bars travel in the HTML itself
    web_text, web_html = _check_structure(received[("alice@example.com",)])
    assert money(week.web_saved) in web_text and money(week.web_saved) in web_html
    assert money(week.ml_saved) not in web_text
    subject = received[("ml-leads@example.com",)]["Subject"]
    assert subject == f"offhours 2026-W48: team ml saved {money(week.ml_saved)}"


def test_smtp_refuses_plain_text_when_the_server_requires_starttls(
    week: Week, smtp: tuple[int, Inbox, ssl.SSLContext]
) -> None:
    port, inbox, _ = smtp
    settings = DigestSettings(ledger=week.root, to=("finops@example.com",))
    plain = SmtpSender("127.0.0.1", port, starttls=False)
    run = run_digest(settings, "2026-W48", send=True, preview=None, now=NOW, sender=plain)
    assert inbox.messages == []
    assert run.skipped and "SMTP 127.0.0.1" in run.skipped[0]


def test_ses_sends_the_raw_mime_message(week: Week, aws: None) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    ses = boto3.client("ses", region_name="eu-west-1")
    ses.verify_email_identity(EmailAddress="offhours@example.com")
    settings = DigestSettings(ledger=week.root, to=("finops@example.com",), team_key="none")
    run = run_digest(settings, "2026-W48", send=True, preview=None, now=NOW, sender=SesSender(ses))
    # The fleet digest, and (no team tag: one "(none)" team) one to the owner tag's address.
    assert run.sent == [("fleet", ("finops@example.com",)), ("team (none)", ("alice@example.com",))]
    messages = ses_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"].sent_messages
    # (moto adds the header addresses to the Destinations given, hence the set)
    [sent] = [m for m in messages if set(m.destinations) == {"finops@example.com"}]
    raw = sent.raw_data if isinstance(sent.raw_data, bytes) else sent.raw_data.encode()
    text, html = _check_structure(_parse(raw))
    assert money(week.saved) in text and money(week.saved) in html


def test_ses_rejection_is_reported_not_raised(week: Week, aws: None) -> None:
    ses = boto3.client("ses", region_name="eu-west-1")  # sender identity not verified
    settings = DigestSettings(ledger=week.root, to=("finops@example.com",), team_key="none")
    run = run_digest(settings, "2026-W48", send=True, preview=None, now=NOW, sender=SesSender(ses))
    assert run.sent == []
    assert "SES to finops@example.com" in run.skipped[0]
