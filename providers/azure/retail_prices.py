"""Live VM prices from the Azure Retail Prices API (public REST, no credentials).

``GET https://prices.azure.com/api/retail/prices?$filter=…`` returns ``Items`` and a
``NextPageLink``. For a VM size the pay-as-you-go Linux price is the ``Consumption`` item
per "1 Hour" whose product is not Windows and whose SKU is not Spot or Low Priority.
"""

from __future__ import annotations

import urllib.request
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from providers.pricing import Opener, PriceSourceError, Quote, get_json

if TYPE_CHECKING:
    from providers.azure.connection import AzureConnection

DEFAULT_URL = "https://prices.azure.com/api/retail/prices"
# kind -> serviceName in the price API
SERVICES = {"vms": "Virtual Machines"}


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def price_filter(service: str, region: str, size: str) -> str:
    return (
        f"serviceName eq {_literal(service)} and armRegionName eq {_literal(region)} "
        f"and armSkuName eq {_literal(size)} and priceType eq 'Consumption'"
    )


def linux_on_demand(items: list[dict[str, Any]]) -> Quote | None:
    quotes = [
        Quote(float(item["retailPrice"]), item.get("currencyCode", "USD"))
        for item in items
        if item.get("unitOfMeasure") == "1 Hour"
        and "windows" not in str(item.get("productName", "")).lower()
        and not any(w in str(item.get("skuName", "")) for w in ("Spot", "Low Priority"))
        and float(item.get("retailPrice", 0)) > 0
    ]
    return min(quotes, key=lambda q: q.hourly) if quotes else None


class AzureRetailPrices:
    name = "azure-retail-prices"
    provider = "azure"
    kinds = frozenset(SERVICES)

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        opener: Opener = urllib.request.urlopen,
        timeout: float = 30.0,
        max_pages: int = 20,
    ) -> None:
        self.base_url = base_url
        self.opener = opener
        self.timeout = timeout
        self.max_pages = max_pages

    def fetch(self, kind: str, region: str, size: str) -> Quote | None:
        query = urlencode({"$filter": price_filter(SERVICES[kind], region.lower(), size)})
        url: str | None = f"{self.base_url}?{query}"
        items: list[dict[str, Any]] = []
        pages = 0
        while url:
            if pages >= self.max_pages:
                raise PriceSourceError(f"more than {self.max_pages} pages for {size} in {region}")
            body = get_json(url, self.opener, self.timeout)
            if not isinstance(body, dict):
                raise PriceSourceError("retail prices: unexpected answer")
            items.extend(body.get("Items") or [])
            url = body.get("NextPageLink") or None
            pages += 1
        return linux_on_demand(items)


def from_connection(connection: AzureConnection) -> AzureRetailPrices:
    """The Retail Prices API is public: it needs no credentials from the connection."""
    return AzureRetailPrices()
