"""The four snooze links a notice carries for one resource and one stop.

``link_maker(base_url, key)`` returns the callable the notices call:
``links(resource, stop_at) -> [(label, url), ...]``. Each link is its own token with its
own nonce, valid until ``valid_for`` after the stop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from urllib.parse import urlencode

from functions.jobs.snooze.handler import resource_param
from functions.jobs.snooze.pages import ACTION_LABELS
from functions.jobs.snooze.tokens import ACTIONS, SnoozeToken, new_nonce, sign
from providers.base import Resource

Links = Callable[[Resource, datetime], Sequence[tuple[str, str]]]
DEFAULT_VALID_FOR = timedelta(hours=12)
OWNER_TAG = "owner"


def link_maker(
    base_url: str,
    key: bytes,
    valid_for: timedelta = DEFAULT_VALID_FOR,
    recipient_of: Callable[[Resource], str] = lambda r: r.tags.get(OWNER_TAG, ""),
    nonce: Callable[[], str] = new_nonce,
) -> Links:
    base = base_url.rstrip("/")

    def links(resource: Resource, stop_at: datetime) -> list[tuple[str, str]]:
        if stop_at.tzinfo is None:
            raise ValueError("the stop instant must be zone-aware")
        result = []
        for action in ACTIONS:
            token = SnoozeToken(
                cloud=resource.provider,
                account=resource.account,
                region=resource.region,
                kind=resource.kind,
                resource_id=resource.id,
                action=action,
                stop_at=stop_at,
                expires=stop_at + valid_for,
                nonce=nonce(),
                recipient=recipient_of(resource),
            )
            query = urlencode(
                {"r": resource_param(resource.kind, resource.id), "t": sign(token, key)}
            )
            result.append((ACTION_LABELS[action], f"{base}/?{query}"))
        return result

    return links
