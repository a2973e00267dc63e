"""The snooze HTTP logic every cloud's entry point shares.

GET shows what the link would do and changes nothing; POST verifies the token again,
reads the resource live, refuses a protected or opted-out one, leaves a longer keep
already in place as it is (``standing``), claims the link's nonce (create-only,
so a second confirm is refused), writes the override tag and books the snooze. Every
refusal is a page with its status and leaves the tag and the ledger as they were.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import schedules
from functions.jobs.planner import Policy, protection
from functions.jobs.snooze import pages, standing
from functions.jobs.snooze.booking import book_snooze
from functions.jobs.snooze.keyring import KeyRing, KeyUnavailable
from functions.jobs.snooze.pages import Facts, Page
from functions.jobs.snooze.tokens import SnoozeToken, TokenError, verify
from functions.jobs.snooze.until import DEFAULT_CAP, override_until, override_value
from providers.base import Resource
from providers.override_desk import CannotSnooze, DeskError, OverrideDesk, ResourceNotFound
from providers.store import ABSENT, Conflict, ObjectStore, StoreError

logger = logging.getLogger("offhours.snooze")
USED_PREFIX = "snooze/used/"
_TOKEN_STATUS = {"malformed": 400, "tampered": 403, "expired": 410}
_TOKEN_TITLE = {
    "malformed": "This link is not valid",
    "tampered": "This link has been changed",
    "expired": "This link has expired",
}


@dataclass(frozen=True)
class Request:
    method: str
    query: Mapping[str, str]
    form: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SnoozeService:
    # A fixed key (tests, the demo) or the deployed function's ring (read, cached, rotated).
    key: bytes | KeyRing
    store: ObjectStore
    desk: OverrideDesk
    clock: Callable[[], datetime]
    catalog: schedules.Catalog
    policy: Policy = field(default_factory=Policy)
    default_tz: str = "UTC"
    cap: timedelta = DEFAULT_CAP


class _Refused(Exception):
    def __init__(self, page: Page) -> None:
        super().__init__(page.title)
        self.page = page


def resource_param(kind: str, resource_id: str) -> str:
    """The ``r`` query parameter: the resource the URL names."""
    return f"{kind}:{resource_id}"


def handle(request: Request, service: SnoozeService) -> Page:
    method = request.method.upper()
    if method not in ("GET", "POST"):
        return pages.refusal(
            405, "Use the link", "Open the link in a browser.", {"Allow": "GET, POST"}
        )
    now = service.clock()
    try:
        token = _token(request, service, now)
        resource = _resource(token, service)
        until, kept = _until(token, resource, service, now)
        facts = Facts(
            resource.name or resource.id, resource.kind, _where(resource), token.action, until
        )
        if kept:
            return pages.already(facts)
        if method == "GET":
            return pages.confirm(facts)
        _confirm(token, resource, until, service, now)
    except _Refused as refused:
        logger.info("snooze refused", extra={"status": refused.page.status})
        return refused.page
    return pages.done(facts)


def _token(request: Request, service: SnoozeService, now: datetime) -> SnoozeToken:
    text = request.query.get("t") or request.form.get("t") or ""
    if not text:
        raise _Refused(pages.refusal(400, _TOKEN_TITLE["malformed"], "This link has no token."))
    try:
        token = _verified(text, service.key, now)
    except KeyUnavailable as err:
        logger.error("snooze key unavailable: %s", err)
        raise _Refused(_unavailable("The signing key could not be read.")) from err
    except TokenError as err:
        raise _Refused(
            pages.refusal(_TOKEN_STATUS[err.reason], _TOKEN_TITLE[err.reason], str(err))
        ) from err
    named = request.query.get("r") or request.form.get("r") or ""
    if token.cloud != service.desk.provider or named != resource_param(
        token.kind, token.resource_id
    ):
        raise _Refused(
            pages.refusal(
                400, "This link does not match", "The link's token names another resource."
            )
        )
    if _used(service.store, token):
        raise _Refused(_replayed())
    return token


def _verified(text: str, key: bytes | KeyRing, now: datetime) -> SnoozeToken:
    """A signature that matches no key held may be a rotation not seen yet: the ring
    reads the secret again (at most every few seconds) and the token is checked again."""
    if isinstance(key, bytes):
        return verify(text, key, now)
    try:
        return verify(text, key.keys(), now)
    except TokenError as err:
        if err.reason != "tampered" or not key.reread():
            raise
    return verify(text, key.keys(), now)


def _resource(token: SnoozeToken, service: SnoozeService) -> Resource:
    try:
        resource = service.desk.read(token.account, token.region, token.kind, token.resource_id)
    except ResourceNotFound as err:
        raise _Refused(pages.refusal(404, "No such resource", str(err))) from err
    except CannotSnooze as err:
        raise _Refused(pages.refusal(422, "Cannot snooze this kind", str(err))) from err
    except DeskError as err:
        raise _Refused(_unavailable(f"The cloud could not be asked: {err}")) from err
    protected = protection(resource, service.policy)
    if protected:
        raise _Refused(
            pages.refusal(
                403, "This resource is protected", f"offhours never touches it ({protected})."
            )
        )
    return resource


def _until(
    token: SnoozeToken, resource: Resource, service: SnoozeService, now: datetime
) -> tuple[datetime, bool]:
    """Until when the link keeps it running, and whether a keep at least that long is
    already in place (then nothing is written: a person's longer keep stands)."""
    schedule = _schedule(resource, service)
    policy = service.policy
    refused = standing.refusal(resource.tags, policy.override_key, policy.tag_key, schedule, now)
    if refused is not None:
        raise _Refused(pages.refusal(409, refused.title, refused.message))
    until = override_until(
        token.action, token.stop_at, now, schedule, service.default_tz, service.cap
    )
    kept = standing.kept_until(resource.tags, policy.override_key, now)
    if kept is not None and kept >= until:
        return kept, True
    return until, False


def _confirm(
    token: SnoozeToken, resource: Resource, until: datetime, service: SnoozeService, now: datetime
) -> None:
    used_key = USED_PREFIX + token.nonce
    claim = f'{{"resource":"{resource.key}","at":"{now.isoformat()}"}}'.encode()
    try:
        service.store.put_if(used_key, claim, ABSENT)
    except Conflict as err:
        raise _Refused(_replayed()) from err
    except StoreError as err:
        raise _Refused(_unavailable("The record of used links could not be written.")) from err
    try:
        service.desk.write_override(resource, service.policy.override_key, override_value(until))
    except DeskError as err:
        # Nothing changed: give the link back so it can be tried again.
        service.store.delete(used_key)
        raise _Refused(_unavailable(f"The cloud refused the tag: {err}")) from err
    try:
        kept = standing.kept_until(resource.tags, service.policy.override_key, now)
        book_snooze(service.store, resource, token, now, until, service.policy.tag_key, kept)
    except StoreError as err:
        logger.error("snooze not booked", extra={"resource": resource.key, "error": str(err)})
        raise _Refused(
            _unavailable(
                f"It keeps running until {until:%Y-%m-%d %H:%M} UTC, but the ledger could not "
                "be written."
            )
        ) from err


def _used(store: ObjectStore, token: SnoozeToken) -> bool:
    try:
        return store.get(USED_PREFIX + token.nonce) is not None
    except StoreError as err:
        raise _Refused(_unavailable("The record of used links could not be read.")) from err


def _schedule(resource: Resource, service: SnoozeService) -> schedules.Schedule | None:
    spec = resource.tags.get(service.policy.tag_key)
    if not spec:
        return None
    try:
        return service.catalog.resolve(spec)
    except schedules.ScheduleError:
        return None


def _where(resource: Resource) -> str:
    return " / ".join(p for p in (resource.provider, resource.account, resource.region) if p)


def _replayed() -> Page:
    return pages.refusal(409, "This link was already used", "Each link works once.")


def _unavailable(message: str) -> Page:
    return pages.refusal(503, "Try again later", message)
