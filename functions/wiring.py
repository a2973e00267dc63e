"""Build a Job from Settings: connections, adapters from the registry, the store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import providers
import schedules
from functions.jobs.notices.step import build_step
from functions.jobs.reconcile import Job
from functions.settings import ConfigError, Settings
from providers.base import AdapterOptions, Connection, KindAdapter
from providers.metering import Meter, metered
from providers.pricing import PriceSource
from providers.store import LocalStore, ObjectStore

if TYPE_CHECKING:
    from functions.jobs.notices import LinkMaker


def open_store(url: str, endpoint_url: str = "") -> ObjectStore:
    """``s3://…``, ``gs://…``, ``azblob://…`` through the registry; a path or ``file://``
    is a local directory."""
    scheme = urlparse(url).scheme
    if scheme in ("", "file"):
        return LocalStore(Path(url.removeprefix("file://")))
    if scheme not in providers.STORES:
        known = ", ".join(sorted(providers.STORES))
        raise ConfigError(f"ledger: unknown location scheme {scheme!r} (use a path, {known})")
    store: ObjectStore = providers.load(providers.STORES[scheme])(url, endpoint_url=endpoint_url)
    return store


def connect(settings: Settings, provider: str) -> Connection:
    if provider not in providers.CONNECTIONS:
        raise ConfigError(
            f"unknown provider {provider!r} (choose from {', '.join(providers.CONNECTIONS)})"
        )
    connection: Connection = providers.load(providers.CONNECTIONS[provider])(
        settings.provider_config(provider)
    )
    return connection


def build_adapters(
    provider: str, connection: Connection, options: AdapterOptions, kinds: tuple[str, ...] = ()
) -> list[KindAdapter]:
    """Every registered kind of ``provider``, or those named in ``kinds`` (``ec2`` or
    ``aws.ec2``); a name no cloud knows is an error, not silently nothing."""
    known = {k for cloud in providers.KINDS.values() for k in cloud}
    known |= {f"{c}.{k}" for c, cloud in providers.KINDS.items() for k in cloud}
    unknown = [k for k in kinds if k not in known]
    if unknown:
        raise ConfigError(f"unknown kind(s): {', '.join(unknown)}")
    available = providers.KINDS.get(provider, {})
    wanted = [
        kind for kind in available if not kinds or kind in kinds or f"{provider}.{kind}" in kinds
    ]
    return [providers.load(available[kind])(connection, options) for kind in wanted]


def load_catalog(settings: Settings) -> schedules.Catalog:
    return schedules.load_catalog(settings.catalog, default_tz=settings.default_tz)


def build_job(
    settings: Settings,
    clock: Callable[[], datetime],
    connections: dict[str, Connection] | None = None,
    store: ObjectStore | None = None,
    wake: frozenset[str] = frozenset(),
    links: LinkMaker | None = None,
    meter: Meter | None = None,
) -> Job:
    """``meter``: counts the run's billable calls (every store request, the idle
    readers' metrics reads); the caller reads it when the run is done."""
    store = metered(store or open_store(settings.ledger, settings.store_endpoint_url), meter)
    connections = connections or {p: connect(settings, p) for p in settings.providers}
    options = AdapterOptions(
        clock=clock,
        tag_key=settings.tag_key,
        idle_tag_key=settings.idle_tag_key,
        idle_threshold=settings.idle_threshold_percent,
        idle_notice=timedelta(minutes=settings.idle_notice_minutes),
        state=store,
        batch_size=settings.batch_size,
        max_workers=settings.max_workers,
        meter=meter,
    )
    adapters = {
        provider: build_adapters(provider, connection, options, settings.kinds)
        for provider, connection in connections.items()
    }
    return Job(
        connections=connections,
        adapters=adapters,
        store=store,
        catalog=load_catalog(settings),
        policy=settings.policy(),
        dry_run=settings.dry_run,
        max_workers=settings.max_workers,
        wake=wake,
        clock=clock,
        checkpoint_every=timedelta(minutes=settings.checkpoint_minutes),
        price_sources=_price_sources(connections) if settings.live_prices else (),
        notices=build_step(settings, links=links),
    )


def _price_sources(connections: dict[str, Connection]) -> tuple[PriceSource, ...]:
    return tuple(
        providers.load(providers.PRICE_SOURCES[name])(connection)
        for name, connection in connections.items()
        if name in providers.PRICE_SOURCES
    )
