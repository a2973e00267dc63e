"""The notice step inside a run (``functions/jobs/run_hooks.Notices`` calls these):

1. ``due``: with the plan, the notices due now and not yet claimed (a dry run stops here);
2. ``claim``: in the same conditional write as the run's lease and intents, mark each
   one ``claimed`` in the state: a retry or a later run sees it and sends nothing;
3. ``send``: one message per recipient, each failure a value;
4. ``record``: in the run's finish write, what became of each (sent, or failed and why).

A run that dies between 2 and 4 loses those notices: at most once, never twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import schedules
from functions import safe_text as safe
from functions.jobs.notices import planning
from functions.jobs.notices.model import LinkMaker, NoticeConfig, NoticeOutcome, Status
from functions.jobs.planner import Policy
from ledger.run_state import NoticeMark, TargetState
from providers.base import Decision, Resource

if TYPE_CHECKING:
    from functions.jobs.notices.send import Poster, Senders
    from functions.mail import Sender
    from functions.settings import Settings

log = logging.getLogger("offhours.notices")
# Marks of stops longer ago than this are dropped: no run can be due for them again.
KEEP_MARKS = timedelta(days=2)


@dataclass(frozen=True)
class NoticeStep:
    config: NoticeConfig
    senders: Senders
    links: LinkMaker | None = None

    def due(
        self,
        resources: Iterable[Resource],
        decisions: Sequence[Decision],
        now: datetime,
        catalog: schedules.Catalog,
        policy: Policy,
        state: TargetState,
    ) -> tuple[list[NoticeOutcome], list[str]]:
        notices, warnings = planning.due_notices(
            resources, decisions, now, catalog, policy, self.config, claimed=state.notices
        )
        warnings += [_shown_as(n.resource) for n in notices if not _plain(n.resource)]
        return [NoticeOutcome(n, Status.DUE) for n in notices], warnings

    def claim(
        self, state: TargetState, due: Sequence[NoticeOutcome], run_id: str, now: datetime
    ) -> list[NoticeOutcome]:
        for key in [k for k, m in state.notices.items() if m.stop_at < now - KEEP_MARKS]:
            del state.notices[key]
        for outcome in due:
            state.notices[outcome.notice.key] = NoticeMark(run_id, outcome.notice.stop_at)
        return [replace(o, status=Status.CLAIMED) for o in due]

    def send(self, claimed: Sequence[NoticeOutcome], now: datetime) -> list[NoticeOutcome]:
        # Rendering and delivery (mail, HTTP) are imported by a run that sends, only.
        from functions.jobs.notices import render
        from functions.jobs.notices.send import deliver

        notices = [o.notice for o in claimed]
        ctx = render.Context(now, self.links, self.config.override_key)
        errors: dict[str, list[str]] = {n.key: list(n.problems) for n in notices}
        sent: dict[str, list[str]] = {n.key: [] for n in notices}
        for message in planning.group(notices):
            error = deliver(message, ctx, self.senders)
            for notice in message.notices:
                if error:
                    errors[notice.key].append(f"to {message.recipient}: {error}")
                else:
                    sent[notice.key].append(str(message.recipient))
        outcomes = [
            NoticeOutcome(
                n,
                Status.FAILED if errors[n.key] or not sent[n.key] else Status.SENT,
                tuple(sent[n.key]),
                "; ".join(errors[n.key]),
            )
            for n in notices
        ]
        for outcome in outcomes:
            level = logging.WARNING if outcome.error else logging.INFO
            log.log(level, outcome.describe(), extra={"resource": outcome.notice.resource.key})
        return outcomes

    def record(self, state: TargetState, outcomes: Iterable[NoticeOutcome], run_id: str) -> None:
        for outcome in outcomes:
            state.notices[outcome.notice.key] = NoticeMark(
                run_id, outcome.notice.stop_at, outcome.status.value, _detail(outcome)
            )


def _plain(resource: Resource) -> bool:
    return safe.is_one_line(resource.name)


def _shown_as(resource: Resource) -> str:
    return (
        f"{resource.id}: its name {resource.name!r} holds line breaks or control "
        f"characters; notices show it as {safe.one_line(resource.name)!r}"
    )


def _detail(outcome: NoticeOutcome) -> str:
    parts = [f"sent to {', '.join(outcome.sent_to)}"] if outcome.sent_to else []
    if outcome.error:
        parts.append(outcome.error)
    return "; ".join(parts)


def build_step(
    settings: Settings,
    mail: Sender | None = None,
    poster: Poster | None = None,
    links: LinkMaker | None = None,
    wall: Callable[[], float] = time.time,
) -> NoticeStep | None:
    """The step a job runs, or None when no notice channel is configured at all."""
    from functions.jobs.notices.config import parse_channels

    channels = parse_channels(settings.notice_channels)
    if not settings.notice_transport and not channels:
        return None
    from functions.jobs.notices.send import Senders, UrllibPoster

    if mail is None and settings.notice_transport:
        from functions.mail import MailConfig, open_mail_sender

        mail = open_mail_sender(
            MailConfig(
                transport=settings.notice_transport,
                ses_region=settings.ses_region,
                smtp_host=settings.smtp_host,
                smtp_port=settings.smtp_port,
                smtp_starttls=settings.smtp_starttls,
                smtp_username=settings.smtp_username,
                smtp_password=settings.smtp_password,
                endpoint_url=settings.endpoint_url("aws"),
            )
        )
    config = NoticeConfig(
        window=timedelta(minutes=settings.notice_minutes),
        window_tag=settings.notice_tag_key,
        owner_key=settings.owner_key,
        team_key=settings.team_key,
        channels=channels,
        sender=settings.notice_from,
        email=mail is not None,
        secret=settings.notice_secret.encode(),
        override_key=settings.override_key,
    )
    senders = Senders(mail, poster or UrllibPoster(), settings.notice_from, config.secret, wall)
    return NoticeStep(config, senders, links)
