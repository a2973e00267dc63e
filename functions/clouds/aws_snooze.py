"""AWS Lambda entry point of the snooze links (a Lambda function URL, auth NONE: the
signed token is the authorisation).

Thin: the function URL event into a ``Request``, the service built once per execution
environment from the environment (the key, read from Secrets Manager or SSM as named by
``OFFHOURS_SNOOZE_KEY_SECRET``, when a request needs it and again every few minutes: see
``functions/jobs/snooze/keyring.py``; the longest override ``OFFHOURS_SNOOZE_MAX_HOURS``),
then the shared handler. The function serves the account it runs in, taken from its own ARN.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from typing import Any

from functions.jobs.snooze import http
from functions.jobs.snooze.handler import Request, SnoozeService, handle
from functions.jobs.snooze.keyring import KeyRing, KeyUnavailable
from functions.jobs.snooze.settings import SnoozeSettings

_services: dict[tuple[tuple[str, str], ...], SnoozeService] = {}


def request_from_event(event: Mapping[str, Any]) -> Request:
    method = str(event.get("requestContext", {}).get("http", {}).get("method", "GET"))
    raw_body = event.get("body") or ""
    body = base64.b64decode(raw_body) if event.get("isBase64Encoded") else raw_body.encode()
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    return Request(
        method,
        http.query(str(event.get("rawQueryString") or "")),
        http.form(body, headers.get("content-type", "")),
    )


def build_service(settings: SnoozeSettings, account: str) -> SnoozeService:
    from datetime import UTC, datetime

    import boto3

    import providers
    from functions.wiring import load_catalog, open_store

    # Through "module:attribute" strings: other clouds' artefacts leave providers/aws out.
    desk_class = providers.load("providers.aws.override_tag:AwsOverrideDesk")
    read_key = providers.load("providers.aws.secrets:read_key")
    service_for = providers.load("providers.aws.secrets:service_for")
    secret_error = providers.load("providers.aws.secrets:SecretError")

    run = settings.run
    session = boto3.session.Session()
    clients: dict[tuple[str, str], Any] = {}

    def client(service: str, region: str) -> Any:
        if (service, region) not in clients:
            clients[(service, region)] = session.client(
                service, region_name=region, endpoint_url=run.endpoint_url("aws") or None
            )
        return clients[(service, region)]

    home = session.region_name or "us-east-1"
    name = settings.key_secret

    def fetch() -> bytes:
        try:
            return bytes(read_key(name, client(service_for(name), home)))
        except secret_error as err:
            raise KeyUnavailable(str(err)) from err

    return SnoozeService(
        key=KeyRing(fetch),
        store=open_store(run.ledger, run.store_endpoint_url),
        desk=desk_class(client, account),
        clock=lambda: datetime.now(UTC),
        catalog=load_catalog(run),
        policy=run.policy(),
        default_tz=run.default_tz,
        cap=settings.cap,
    )


def service_for_env(env: Mapping[str, str], account: str) -> SnoozeService:
    wanted = tuple(sorted((k, v) for k, v in env.items() if k.startswith("OFFHOURS_")))
    cache_key = (*wanted, ("account", account))
    if cache_key not in _services:
        _services[cache_key] = build_service(SnoozeSettings.from_env(env), account)
    return _services[cache_key]


def respond(event: Mapping[str, Any], service: SnoozeService) -> dict[str, Any]:
    """One function URL event answered by ``service``: the response Lambda returns."""
    page = handle(request_from_event(event), service)
    return {"statusCode": page.status, "headers": dict(http.headers(page)), "body": page.html()}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    account = str(context.invoked_function_arn).split(":")[4]
    return respond(event, service_for_env(os.environ, account))
