"""Between an HTTP request as a platform hands it over and ``handler.Request``."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qsl

from functions.jobs.snooze.pages import Page

MAX_BODY = 16 * 1024


def query(raw: str) -> dict[str, str]:
    return dict(parse_qsl(raw or "", keep_blank_values=True))


def form(body: bytes, content_type: str) -> dict[str, str]:
    """A posted urlencoded form; anything else (or too large) is no form."""
    if len(body) > MAX_BODY or "application/x-www-form-urlencoded" not in content_type.lower():
        return {}
    return query(body.decode("utf-8", "replace"))


def headers(page: Page) -> Mapping[str, str]:
    return {
        "Content-Type": "text/html; charset=utf-8",
        # A link's page must not be cached or shown in a frame of another site.
        "Cache-Control": "no-store",
        "X-Frame-Options": "DENY",
        "Content-Security-Policy": (
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"
        ),
        "Referrer-Policy": "no-referrer",
        **page.headers,
    }
