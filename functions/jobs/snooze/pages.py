"""The pages a snooze link shows: plain HTML, readable on a phone, no script.

Every value is escaped; the confirmation form posts back to the same URL (the token stays
in the query string), so a mail client's link scanner, which only GETs, changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from html import escape

ACTION_LABELS = {
    "keep-1h": "keep running 1 h",
    "keep-2h": "keep running 2 h",
    "keep-until-08": "keep running until 08:00",
    "skip-tonight": "skip tonight's stop",
}

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.5;color:#1b1b1b}dt{font-weight:600}dd{margin:0 0 .5rem 0;"
    "overflow-wrap:anywhere}button{font-size:1.1rem;padding:.6rem 1.2rem;border-radius:.3rem;"
    "border:0;background:#0b57d0;color:#fff}"
)


@dataclass(frozen=True)
class Page:
    status: int
    title: str
    body: str
    headers: dict[str, str] = field(default_factory=dict)

    def html(self) -> str:
        return (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width,initial-scale=1'>"
            "<meta name='robots' content='noindex'>"
            f"<title>{escape(self.title)}</title><style>{_STYLE}</style></head>"
            f"<body><h1>{escape(self.title)}</h1>{self.body}</body></html>"
        )


@dataclass(frozen=True)
class Facts:
    """What the confirmation and done pages say about the request."""

    resource: str
    kind: str
    where: str
    action: str
    until: datetime


def _facts(facts: Facts) -> str:
    rows = (
        ("Resource", facts.resource),
        ("Kind", facts.kind),
        ("Where", facts.where),
        ("Action", ACTION_LABELS.get(facts.action, facts.action)),
        ("Until", f"{facts.until:%a %Y-%m-%d %H:%M} UTC"),
    )
    items = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    return f"<dl id='facts'>{items}</dl>"


def confirm(facts: Facts) -> Page:
    form = (
        "<form method='post'><input type='hidden' name='confirm' value='yes'>"
        f"<button type='submit' id='confirm'>{escape(ACTION_LABELS[facts.action])}</button>"
        "</form>"
    )
    note = "<p>Nothing changes until you press the button.</p>"
    return Page(200, "Keep this resource running?", _facts(facts) + note + form)


def done(facts: Facts) -> Page:
    note = (
        f"<p id='result'>Done: it keeps running until {facts.until:%Y-%m-%d %H:%M} UTC. "
        "After that its schedule applies again.</p>"
    )
    return Page(200, "Kept running", _facts(facts) + note)


def already(facts: Facts) -> Page:
    note = (
        f"<p id='result'>It already keeps running until {facts.until:%Y-%m-%d %H:%M} UTC, "
        "longer than this link asks for. Nothing was changed.</p>"
    )
    return Page(200, "Already kept running", _facts(facts) + note)


def refusal(status: int, title: str, message: str, headers: dict[str, str] | None = None) -> Page:
    body = f"<p id='problem'>{escape(message)}</p><p>Nothing was changed.</p>"
    return Page(status, title, body, headers or {})
