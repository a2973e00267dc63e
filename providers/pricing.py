"""Live hourly list prices, cached in the object store, and how they reach resources.

Order of precedence for a resource's price:

1. an ``hourly-cost`` tag (applied by the adapters, source ``tag:hourly-cost``);
2. a live price from the cloud's price API (source ``<api>@<date fetched>``), cached
   in the object store under ``prices/v1/<source>/<kind>/<region>.json`` and fetched again
   when older than a week; when the API cannot be reached the cached price is used
   however old it is, and an offline book never calls the API;
3. the bundled table the adapter already put on the resource (source ``bundled:…``);
4. unknown (None): never a guess.

``PriceBook.lookup`` answers step 2; ``enrich`` applies the order to discovered
resources. Sources live next to each cloud (``providers/aws/price_list.py``,
``providers/azure/retail_prices.py``, ``providers/gcp/billing_catalog.py``); their SDK
clients or HTTP openers are injected.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from providers.base import Price, Resource
from providers.store import ObjectStore, StoreError, iso, parse_iso

CACHE_ROOT = "prices/v1/"
MAX_AGE = timedelta(days=7)
TAG_SOURCE_PREFIX = "tag:"

Opener = Callable[..., Any]


class PriceSourceError(Exception):
    """A price API could not be reached or answered something unreadable."""


@dataclass(frozen=True)
class Quote:
    hourly: float
    currency: str = "USD"


class PriceSource(Protocol):
    name: str  # "aws-price-list": the first half of the price source written to the ledger
    provider: str
    kinds: frozenset[str]

    def fetch(self, kind: str, region: str, size: str) -> Quote | None:
        """The on-demand hourly price, None when the API has no such product.
        Raises PriceSourceError when it cannot tell."""


def get_json(
    url: str,
    opener: Opener | None = None,
    timeout: float = 30.0,
    headers: Mapping[str, str] | None = None,
) -> Any:
    """GET a JSON document; every transport or format failure is a PriceSourceError."""
    # Imported here: most runs read no live price, and urllib.request pulls in http and
    # email (tens of milliseconds of a cold start).
    import urllib.error
    import urllib.request

    opener = opener or urllib.request.urlopen
    request = urllib.request.Request(url, headers={"Accept": "application/json", **(headers or {})})
    try:
        with opener(request, timeout=timeout) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as err:
        raise PriceSourceError(f"{url.split('?', maxsplit=1)[0]}: {err}") from err


class PriceBook:
    """Live prices by (provider, kind, region, size), cached in ``store``."""

    def __init__(
        self,
        sources: Iterable[PriceSource],
        now: datetime,
        store: ObjectStore | None = None,
        max_age: timedelta = MAX_AGE,
        offline: bool = False,
    ) -> None:
        if now.tzinfo is None:
            raise ValueError("the price book needs a zone-aware now")
        self.sources = {s.provider: s for s in sources}
        self.now = now
        self.store = store
        self.max_age = max_age
        self.offline = offline
        self.errors: list[str] = []
        self._cache: dict[str, dict[str, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def lookup(self, provider: str, kind: str, region: str, size: str) -> Price | None:
        source = self.sources.get(provider)
        if source is None or kind not in source.kinds or not size or not region:
            return None
        key = f"{CACHE_ROOT}{source.name}/{kind}/{region}.json"
        with self._lock:
            entries = self._load(key)
            entry = entries.get(size)
            if not self.offline and (entry is None or self._stale(entry)):
                fresh = self._fetch(source, kind, region, size)
                if fresh is not None:
                    entries[size] = entry = fresh
                    self._save(key, entries)
        if entry is None or entry.get("hourly") is None:
            return None
        fetched = str(entry["fetched"])[:10]
        return Price(
            float(entry["hourly"]), entry.get("currency", "USD"), f"{source.name}@{fetched}"
        )

    def lookup_resource(self, resource: Resource) -> Price | None:
        # A source prices the machine alone: resources with attached GPUs keep their price.
        if resource.extra.get("gpus"):
            return None
        return self.lookup(resource.provider, resource.kind, resource.region, resource.size)

    def _stale(self, entry: Mapping[str, Any]) -> bool:
        try:
            return self.now - parse_iso(str(entry["fetched"])) >= self.max_age
        except (KeyError, ValueError):
            return True

    def _fetch(
        self, source: PriceSource, kind: str, region: str, size: str
    ) -> dict[str, Any] | None:
        try:
            quote = source.fetch(kind, region, size)
        except PriceSourceError as err:
            self.errors.append(f"{source.name}: {err}")
            return None
        return {
            "hourly": None if quote is None else quote.hourly,
            "currency": "USD" if quote is None else quote.currency,
            "fetched": iso(self.now),
        }

    def _load(self, key: str) -> dict[str, dict[str, Any]]:
        if key not in self._cache:
            data = self.store.get(key) if self.store is not None else None
            entries: dict[str, dict[str, Any]] = {}
            if data:
                try:
                    entries = dict(json.loads(data).get("entries", {}))
                except (ValueError, AttributeError):
                    entries = {}  # a corrupt cache is refetched, never trusted
            self._cache[key] = entries
        return self._cache[key]

    def _save(self, key: str, entries: Mapping[str, Any]) -> None:
        if self.store is None:
            return
        body = {"version": 1, "entries": dict(sorted(entries.items()))}
        try:
            self.store.put(key, json.dumps(body, indent=1, sort_keys=True).encode())
        except StoreError as err:
            self.errors.append(f"price cache {key}: {err}")


def enrich(resources: Iterable[Resource], book: PriceBook) -> list[Resource]:
    """Resources with a live price where the book has one; tag prices are kept, and the
    bundled price (or None) stays where the book has none."""
    result: list[Resource] = []
    for resource in resources:
        if resource.price is not None and resource.price.source.startswith(TAG_SOURCE_PREFIX):
            result.append(resource)
            continue
        live = book.lookup_resource(resource)
        result.append(resource if live is None else replace(resource, price=live))
    return result
