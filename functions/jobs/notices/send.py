"""Sending messages: email through a ``functions.mail`` sender (SMTP or SES, the digest's),
webhooks through ``urllib.request`` with a timeout. A failure is a value, never raised
through the run."""

from __future__ import annotations

import http.client
import logging
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from functions import safe_text as safe
from functions.jobs.notices import render, signing
from functions.jobs.notices.model import ChannelKind, Message
from functions.mail import Sender, build_message, send_errors

log = logging.getLogger("offhours.notices")


class WebhookError(Exception):
    """A webhook post failed; the text says where and why."""


class Poster(Protocol):
    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> None: ...


@dataclass(frozen=True)
class UrllibPoster:
    timeout: float = 10.0

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> None:
        # urllib also opens file:// and ftp:// URLs: only web hooks are posted to.
        if not url.lower().startswith(("https://", "http://")):
            raise WebhookError(f"{redact(url)}: not an http(s) URL")
        request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as err:
            raise WebhookError(f"{redact(url)}: HTTP {err.code} {err.reason}") from err
        except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
            raise WebhookError(f"{redact(url)}: {err}") from err


def redact(url: str) -> str:
    """A webhook URL is a credential (Slack's and Teams' carry their secret in the path):
    reports and logs name only its host."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}/…" if rest else "(webhook)"


@dataclass(frozen=True)
class Senders:
    mail: Sender | None
    poster: Poster
    sender: str  # From address
    secret: bytes
    # Unix seconds for the signed timestamp: the wall clock of the sending machine, since
    # receivers compare it with theirs (a simulated run clock would look like a replay).
    wall: Callable[[], float]


def deliver(message: Message, ctx: render.Context, senders: Senders) -> str:
    """Send one message; the error text, or "" when it went. Whatever goes wrong while
    rendering or sending one recipient's message is that message's failure: the other
    recipients are still told and the run goes on to book what it did."""
    kind = message.recipient.kind
    try:
        if kind is ChannelKind.EMAIL:
            _email(message, ctx, senders)
        else:
            _post(message, ctx, senders)
    except WebhookError as err:
        return str(err)
    except send_errors() as err:
        return str(err)
    except Exception as err:  # one message's bug, with its traceback in the log
        log.exception("notice to %s not sent", message.recipient)
        return f"not sent: {type(err).__name__}: {safe.one_line(str(err))}"
    return ""


def _email(message: Message, ctx: render.Context, senders: Senders) -> None:
    from functions.mail import MailError

    if senders.mail is None:
        raise MailError("no mail transport configured")
    mime = build_message(
        render.subject(message),
        senders.sender,
        [message.recipient.address],
        render.text(message, ctx),
        render.email_html(message, ctx),
        date=ctx.now.timestamp(),
    )
    mime["X-Offhours-Notice"] = message.id
    senders.mail.send(mime)


def _post(message: Message, ctx: render.Context, senders: Senders) -> None:
    kind = message.recipient.kind
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if kind is ChannelKind.SLACK:
        body = render.encode(render.slack(message, ctx))
    elif kind is ChannelKind.TEAMS:
        body = render.encode(render.teams(message, ctx))
    else:
        sent_at = int(senders.wall())
        body = render.encode(render.webhook(message, ctx, sent_at))
        headers = signing.signed_headers(senders.secret, body, sent_at)
    senders.poster.post(message.recipient.address, body, headers)
