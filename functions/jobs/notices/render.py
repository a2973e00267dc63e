"""The words of a notice, per channel: email (text + HTML), Slack, Teams, JSON. Pure.

Microsoft Teams gets an Adaptive Card (version 1.4) in the ``message``/``attachments``
envelope, not the older MessageCard: MessageCard belongs to the Office 365 connectors
Microsoft is retiring, while the Workflows "post to a channel when a webhook request is
received" trigger that replaces them takes Adaptive Cards (and so do the remaining
connectors), so one body works for both.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from functions import safe_text as safe
from functions.jobs.notices.model import LinkMaker, Message, Notice
from ledger.record import iso
from schedules import Override, format_override

SCHEMA = "offhours.notice/v1"
# The override the words suggest: keep running this long past the stop.
KEEP_FOR = timedelta(hours=2)


@dataclass(frozen=True)
class Context:
    """What every rendering needs besides the message."""

    now: datetime
    links: LinkMaker | None = None
    override_key: str = "schedule-override"


@dataclass(frozen=True)
class Line:
    """One resource of a message, ready for any channel."""

    notice: Notice
    name: str  # the name and every other tag value: one line (``safe.one_line``)
    where: str
    schedule: str
    local_stop: str
    minutes: int
    links: tuple[tuple[str, str], ...]
    keep_tag: str


def lines(message: Message, ctx: Context) -> list[Line]:
    found = []
    for notice in message.notices:
        r = notice.resource
        local = notice.stop_at.astimezone(ZoneInfo(notice.timezone))
        minutes = max(1, round((notice.stop_at - ctx.now).total_seconds() / 60))
        where = f"{r.provider} {r.kind} {r.id}" + (f", {r.region}" if r.region else "")
        found.append(
            Line(
                notice,
                safe.one_line(r.name or r.id),
                safe.one_line(where),
                safe.one_line(notice.schedule),
                f"{local:%a %d %b %H:%M} {notice.timezone}",
                minutes,
                tuple(ctx.links(r, notice.stop_at)) if ctx.links else (),
                f"{ctx.override_key}={_keep_value(notice)}",
            )
        )
    return found


def _keep_value(notice: Notice) -> str:
    return format_override(Override("running", (notice.stop_at + KEEP_FOR).astimezone(UTC)))


def subject(message: Message) -> str:
    first = message.notices[0]
    local = first.stop_at.astimezone(ZoneInfo(first.timezone))
    when = f"{local:%H:%M} {first.timezone}"
    if len(message.notices) == 1:
        # One line: a line break in a name would end the mail header (and raise).
        return (
            f"offhours: {safe.one_line(first.resource.name or first.resource.id)} stops at {when}"
        )
    return f"offhours: {len(message.notices)} of your resources stop from {when}"


def text(message: Message, ctx: Context) -> str:
    out = ["offhours will stop these resources soon, as their schedules say:", ""]
    items = lines(message, ctx)
    for line in items:
        out.append(f"* {line.name} ({line.where})")
        out.append(f"  stops {line.local_stop}, in {line.minutes} min ({line.schedule})")
        out.extend(f"  {label}: {url}" for label, url in line.links)
        out.append("")
    out += [
        f"To keep one running, {_how(items)} such as",
        f"  {items[0].keep_tag}",
        "(the time is UTC). Nothing else needs doing: a stopped resource is started again",
        "when its schedule says so.",
    ]
    return "\n".join(out) + "\n"


def email_html(message: Message, ctx: Context) -> str:
    e = html.escape
    rows = []
    items = lines(message, ctx)
    for line in items:
        anchors = " · ".join(f'<a href="{e(url)}">{e(label)}</a>' for label, url in line.links)
        rows.append(
            "<tr>"
            f'<td style="padding:6px 8px"><b>{e(line.name)}</b><br>'
            f'<span style="color:#555">{e(line.where)}</span></td>'
            f'<td style="padding:6px 8px">{e(line.local_stop)}<br>in {line.minutes} min '
            f"({e(line.schedule)})</td>"
            f'<td style="padding:6px 8px">{anchors}</td>'
            "</tr>"
        )
    return (
        '<!doctype html><html><body style="font-family:sans-serif;font-size:14px">'
        "<p>offhours will stop these resources soon, as their schedules say:</p>"
        '<table style="border-collapse:collapse;max-width:100%">' + "".join(rows) + "</table>"
        f"<p>To keep one running, {_how(items)} such as "
        f"<code>{e(items[0].keep_tag)}</code> (UTC).</p></body></html>"
    )


def _how(items: Sequence[Line]) -> str:
    tag = "tag it with an override"
    return f"use a link above, or {tag}" if any(line.links for line in items) else tag


def slack(message: Message, ctx: Context) -> dict[str, Any]:
    """A Slack incoming-webhook body: ``text`` for notifications, blocks for the rest."""
    title = f"*{safe.slack(subject(message))}*"
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": title}}]
    for line in lines(message, ctx):
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*{safe.slack(line.name)}* ({safe.slack(line.where)})\n"
                    f"stops {safe.slack(line.local_stop)}, in {line.minutes} min "
                    f"({safe.slack(line.schedule)})",
                },
            }
        )
        if line.links:
            blocks.append(
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "text": {"type": "plain_text", "text": label[:75]},
                            "url": url,
                        }
                        for label, url in line.links[:25]
                    ],
                }
            )
    return {"text": safe.slack(subject(message)), "blocks": blocks[:50]}


def _runs(*runs: tuple[str, bool], separator: bool = False) -> dict[str, Any]:
    """A RichTextBlock of TextRuns ``(text, bold)``: a TextRun's text is shown as it is
    (Adaptive Cards 1.2+: "Markdown is not supported"), where a TextBlock would turn a
    name such as ``[Keep running](https://…)`` into a live link."""
    block: dict[str, Any] = {
        "type": "RichTextBlock",
        "inlines": [
            {"type": "TextRun", "text": text, **({"weight": "Bolder"} if bold else {})}
            for text, bold in runs
        ],
    }
    if separator:
        block["separator"] = True
    return block


def teams(message: Message, ctx: Context) -> dict[str, Any]:
    """A Teams webhook body: one Adaptive Card 1.4 (see the module's note). Every text
    that carries a tag or a name is a TextRun, never Markdown."""
    body: list[dict[str, Any]] = [_runs((subject(message), True))]
    for line in lines(message, ctx):
        body.append(_runs((line.name, True), (f" ({line.where})", False), separator=True))
        body.append(
            _runs((f"stops {line.local_stop}, in {line.minutes} min ({line.schedule})", False))
        )
        if line.links:
            body.append(
                {
                    "type": "ActionSet",
                    "actions": [
                        {"type": "Action.OpenUrl", "title": label, "url": url}
                        for label, url in line.links
                    ],
                }
            )
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def webhook(message: Message, ctx: Context, sent_at: int) -> dict[str, Any]:
    """The plain JSON body. ``sent_at`` (Unix seconds) is the signed timestamp: inside the
    signed body, so a receiver rejecting old ones rejects replays; ``id`` names the
    message across retries, for receivers that also drop duplicates."""
    return {
        "schema": SCHEMA,
        "id": message.id,
        "sent_at": sent_at,
        "recipient": message.recipient.label or message.recipient.address,
        "subject": subject(message),
        "notices": [
            {
                "provider": line.notice.resource.provider,
                "account": line.notice.resource.account,
                "region": line.notice.resource.region,
                "kind": line.notice.resource.kind,
                "id": line.notice.resource.id,
                "name": line.notice.resource.name,
                "stop_at": iso(line.notice.stop_at),
                "timezone": line.notice.timezone,
                "schedule": line.notice.schedule,
                "reason": line.notice.reason,
                "links": [{"label": label, "url": url} for label, url in line.links],
            }
            for line in lines(message, ctx)
        ],
    }


def encode(body: dict[str, Any]) -> bytes:
    """The exact bytes posted (and signed)."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def names(message: Message) -> Sequence[str]:
    return [n.resource.name or n.resource.id for n in message.notices]
