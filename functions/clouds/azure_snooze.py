"""Azure Functions HTTP trigger of the snooze links (``functions/clouds/azure_function_app.py``).

Thin: the ``HttpRequest`` into a ``Request``, the service built once per worker from the
app settings (the key read from Key Vault, named by ``OFFHOURS_SNOOZE_KEY_SECRET`` as
``https://VAULT.vault.azure.net/secrets/NAME``, with the app's managed identity), then the
shared handler. Anonymous on purpose: the signed token is the authorisation.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from functions.jobs.snooze import http, pages
from functions.jobs.snooze.handler import Request, SnoozeService, handle
from functions.jobs.snooze.keyring import KeyRing, KeyUnavailable
from functions.jobs.snooze.pages import Page
from functions.jobs.snooze.settings import KEY_SECRET, SnoozeSettings

_services: dict[tuple[tuple[str, str], ...], SnoozeService] = {}


def build_service(settings: SnoozeSettings) -> SnoozeService:
    import providers
    from functions.wiring import load_catalog, open_store

    # Through "module:attribute" strings: other clouds' artefacts leave providers/azure out.
    connect = providers.load("providers.azure.connection:connect")
    desk_class = providers.load("providers.azure.override_tag:AzureOverrideDesk")
    read_key = providers.load("providers.azure.secrets:read_key")
    secret_error = providers.load("providers.azure.secrets:SecretError")
    run = settings.run
    connection = connect(run.provider_config("azure"))
    local = bool(run.endpoint_url("azure"))

    def fetch() -> bytes:
        try:
            return bytes(read_key(settings.key_secret, connection.credential, local=local))
        except secret_error as err:
            raise KeyUnavailable(str(err)) from err

    return SnoozeService(
        key=KeyRing(fetch),
        store=open_store(run.ledger, run.store_endpoint_url),
        desk=desk_class(connection),
        clock=lambda: datetime.now(UTC),
        catalog=load_catalog(run),
        policy=run.policy(),
        default_tz=run.default_tz,
        cap=settings.cap,
    )


def service_for_env(env: Mapping[str, str]) -> SnoozeService:
    wanted = tuple(sorted((k, v) for k, v in env.items() if k.startswith("OFFHOURS_")))
    if wanted not in _services:
        _services[wanted] = build_service(
            SnoozeSettings.from_env(env, defaults={"OFFHOURS_PROVIDERS": "azure"})
        )
    return _services[wanted]


def respond(req: Any, env: Mapping[str, str]) -> tuple[Page, Mapping[str, str]]:
    """The page for one ``azure.functions.HttpRequest`` and its response headers."""
    if not env.get(KEY_SECRET):
        # The trigger ships in every app; a deployment without a key has the links off.
        page = pages.refusal(503, "Snooze links are off", "This deployment has no snooze key.")
        return page, http.headers(page)
    content_type = req.headers.get("content-type", "") or ""
    form = http.form(req.get_body() or b"", content_type)
    page = handle(Request(req.method, dict(req.params), form), service_for_env(env))
    return page, http.headers(page)
