"""Cloud Functions (2nd gen) HTTP entry point of the snooze links.

Thin: the Flask request into a ``Request``, the service built once per instance from the
environment (the key read from Secret Manager, named by ``OFFHOURS_SNOOZE_KEY_SECRET`` as
``projects/P/secrets/S``), then the shared handler. Deploy with, for example::

    gcloud functions deploy offhours-snooze --gen2 --runtime=python311 \\
      --entry-point=snooze_http --trigger-http --allow-unauthenticated \\
      --service-account=offhours-snooze@PROJECT.iam.gserviceaccount.com \\
      --set-env-vars=OFFHOURS_LEDGER=gs://BUCKET/offhours,\\
OFFHOURS_SNOOZE_KEY_SECRET=projects/PROJECT/secrets/offhours-snooze-key

Unauthenticated on purpose: the signed token is the authorisation. The service account
needs only the custom role in ``infra/gcp/snooze-role.yaml``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from functions.jobs.snooze import http
from functions.jobs.snooze.handler import Request, SnoozeService, handle
from functions.jobs.snooze.keyring import KeyRing, KeyUnavailable
from functions.jobs.snooze.settings import SnoozeSettings

_services: dict[tuple[tuple[str, str], ...], SnoozeService] = {}


def build_service(settings: SnoozeSettings) -> SnoozeService:
    import providers
    from functions.wiring import load_catalog, open_store

    # Through "module:attribute" strings: other clouds' artefacts leave providers/gcp out.
    connect = providers.load("providers.gcp.connection:connect")
    desk_class = providers.load("providers.gcp.override_tag:GcpOverrideDesk")
    read_key = providers.load("providers.gcp.secrets:read_key")
    secret_error = providers.load("providers.gcp.secrets:SecretError")
    secret_client = providers.load("providers.gcp.secrets:secret_client")
    run = settings.run

    def clock() -> datetime:
        return datetime.now(UTC)

    connection = connect(run.provider_config("gcp"))

    def fetch() -> bytes:
        try:
            return bytes(read_key(settings.key_secret, secret_client(connection)))
        except secret_error as err:
            raise KeyUnavailable(str(err)) from err

    return SnoozeService(
        key=KeyRing(fetch),
        store=open_store(run.ledger, run.store_endpoint_url),
        desk=desk_class(connection, clock),
        clock=clock,
        catalog=load_catalog(run),
        policy=run.policy(),
        default_tz=run.default_tz,
        cap=settings.cap,
    )


def service_for_env(env: Mapping[str, str]) -> SnoozeService:
    wanted = tuple(sorted((k, v) for k, v in env.items() if k.startswith("OFFHOURS_")))
    if wanted not in _services:
        _services[wanted] = build_service(
            SnoozeSettings.from_env(env, defaults={"OFFHOURS_PROVIDERS": "gcp"})
        )
    return _services[wanted]


def snooze_http(request: Any) -> tuple[str, int, dict[str, str]]:
    """The function's entry point (HTTP signature: a Flask request)."""
    form = http.form(request.get_data(cache=True), request.content_type or "")
    page = handle(Request(request.method, dict(request.args), form), service_for_env(os.environ))
    return page.html(), page.status, dict(http.headers(page))
