"""Small helpers for Google JSON REST APIs called through ``google-auth``'s AuthorizedSession.

Used for the APIs whose client libraries are too large for a function bundle (Vertex AI,
Workbench) or not needed (Resource Manager, Monitoring).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import requests

Json = dict[str, Any]
TIMEOUT = 30.0


class GcpApiError(Exception):
    """A Google API answered with an error (or could not be reached)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}" if code else message)
        self.code = code


def call(
    session: requests.Session,
    method: str,
    url: str,
    *,
    params: Mapping[str, str | int] | None = None,
    body: Json | None = None,
) -> Json:
    try:
        response = session.request(method, url, params=params, json=body, timeout=TIMEOUT)
    except requests.RequestException as err:
        raise GcpApiError(0, f"{method} {url}: {err}") from err
    try:
        payload: Json = response.json() if response.content else {}
    except ValueError:
        payload = {}
    if response.status_code >= 400:
        error = payload.get("error", {}) if isinstance(payload, dict) else {}
        message = error.get("message") or response.reason or "error"
        raise GcpApiError(response.status_code, f"{method} {url}: {message}")
    return payload


def paged(
    session: requests.Session,
    url: str,
    key: str,
    params: Mapping[str, str | int] | None = None,
) -> Iterator[Json]:
    """Every item of a ``list`` method, following ``nextPageToken``."""
    query: dict[str, str | int] = dict(params or {})
    while True:
        page = call(session, "GET", url, params=query)
        yield from page.get(key, [])
        token = page.get("nextPageToken")
        if not token:
            return
        query["pageToken"] = token
