"""Warn-before-stop notices: who is told, when, in which words, and how it is sent.

A run tells a resource's owner before its schedule stops it: an ``owner`` tag that is an
email address gets an email, a team tag gets the team's configured channels (Slack,
Microsoft Teams, or a signed JSON webhook). One notice per resource per stop instant,
claimed in the run's state before it is sent (``ledger/run_state.py``), so retries and
later runs never send it twice. ``docs/notices.md`` describes the protocol.

Modules: ``model`` (plain data), ``planning`` (which notices are due: pure),
``render`` (email, Slack, Teams and JSON bodies: pure), ``signing`` (HMAC of webhook
bodies), ``send`` (SMTP/SES through ``functions.mail``, webhooks through urllib),
``step`` (the hooks the run protocol calls), ``outbox`` (the demo's file senders).
Names and tags are shown through ``functions/safe_text.py``: text, never markup.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from functions.jobs.notices.model import LinkMaker, Notice, NoticeOutcome
    from functions.jobs.notices.step import NoticeStep, build_step

__all__ = ["LinkMaker", "Notice", "NoticeOutcome", "NoticeStep", "build_step"]

# Loaded on first use: a scheduled run imports this package (``functions.jobs.notices.model``
# for its types), and most runs send no notice; what sending needs (mail, HTTP,
# rendering) is imported only by a run that sends.
_LAZY = {
    "LinkMaker": "functions.jobs.notices.model",
    "Notice": "functions.jobs.notices.model",
    "NoticeOutcome": "functions.jobs.notices.model",
    "NoticeStep": "functions.jobs.notices.step",
    "build_step": "functions.jobs.notices.step",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
