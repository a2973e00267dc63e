"""Live Compute Engine prices from the Cloud Billing Catalog API.

``GET https://cloudbilling.googleapis.com/v1/services/6F81-5844-456A/skus`` lists every
Compute Engine SKU (paged by ``nextPageToken``). A predefined machine type is billed per
vCPU-hour and per GiB-hour of its family (``N2 Instance Core running in Americas``,
``N2 Instance Ram running in Americas``), so its price is vCPUs x core rate + GiB x RAM
rate in its region. The whole catalog is read once per source object (one weekly refresh
at most, thanks to the price book's cache). Families priced here: E2, N1, N2, N2D. Custom
and shared-core sizes other than E2's are left to the bundled table.
"""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from providers.pricing import Opener, PriceSourceError, Quote, get_json

if TYPE_CHECKING:
    from providers.gcp.connection import GcpConnection

DEFAULT_URL = "https://cloudbilling.googleapis.com/v1"
COMPUTE_ENGINE = "services/6F81-5844-456A"

# family -> SKU description prefix, GiB per vCPU for standard/highmem/highcpu
FAMILIES: dict[str, tuple[str, dict[str, float]]] = {
    "e2": ("E2 Instance", {"standard": 4.0, "highmem": 8.0, "highcpu": 1.0}),
    "n1": ("N1 Predefined Instance", {"standard": 3.75, "highmem": 6.5, "highcpu": 0.9}),
    "n2": ("N2 Instance", {"standard": 4.0, "highmem": 8.0, "highcpu": 1.0}),
    "n2d": ("N2D AMD Instance", {"standard": 4.0, "highmem": 8.0, "highcpu": 1.0}),
}
# E2 shared-core types: fraction of a vCPU billed, GiB
E2_SHARED = {"e2-micro": (0.25, 1.0), "e2-small": (0.5, 2.0), "e2-medium": (1.0, 4.0)}
_SKU = re.compile(r"^(?P<prefix>.+?) (?P<part>Core|Ram) running in ")
_EXCLUDED = ("Preemptible", "Spot", "Custom", "Sole Tenancy", "Commitment", "Extended")


def machine_shape(machine_type: str) -> tuple[str, float, float] | None:
    """(family, vCPUs, GiB) of a predefined machine type; None when not priced here."""
    if machine_type in E2_SHARED:
        cpus, gib = E2_SHARED[machine_type]
        return "e2", cpus, gib
    parts = machine_type.split("-")
    if len(parts) != 3 or parts[0] not in FAMILIES or not parts[2].isdigit():
        return None
    ratios = FAMILIES[parts[0]][1]
    if parts[1] not in ratios:
        return None
    cpus = float(parts[2])
    return parts[0], cpus, cpus * ratios[parts[1]]


def unit_price(sku: dict[str, Any]) -> tuple[float, str] | None:
    infos = sku.get("pricingInfo") or []
    if not infos:
        return None
    expression = infos[-1].get("pricingExpression", {})
    for tier in sorted(
        expression.get("tieredRates", []), key=lambda t: t.get("startUsageAmount", 0)
    ):
        money = tier.get("unitPrice", {})
        value = float(money.get("units", 0) or 0) + float(money.get("nanos", 0) or 0) / 1e9
        if value > 0:
            return value, money.get("currencyCode", "USD")
    return None


RateTable = dict[tuple[str, str, str], tuple[float, str]]


def rates_from_skus(skus: list[dict[str, Any]]) -> RateTable:
    """(description prefix, Core|Ram, region) -> (price per unit-hour, currency)."""
    prefixes = {prefix for prefix, _ in FAMILIES.values()}
    table: RateTable = {}
    for sku in skus:
        category = sku.get("category", {})
        if category.get("usageType") != "OnDemand" or category.get("resourceFamily") != "Compute":
            continue
        description = str(sku.get("description", ""))
        match = _SKU.match(description)
        if not match or match["prefix"] not in prefixes or any(x in description for x in _EXCLUDED):
            continue
        price = unit_price(sku)
        if price is None:
            continue
        for region in sku.get("serviceRegions", []):
            table[(match["prefix"], match["part"], region)] = price
    return table


class GcpBillingCatalog:
    name = "gcp-billing-catalog"
    provider = "gcp"
    kinds = frozenset({"instances"})

    def __init__(
        self,
        api_key: str = "",
        base_url: str = DEFAULT_URL,
        opener: Opener = urllib.request.urlopen,
        token: Callable[[], str] | None = None,
        timeout: float = 60.0,
        max_pages: int = 50,
    ) -> None:
        self.api_key = api_key
        self.base_url = base_url.rstrip("/")
        self.opener = opener
        self.token = token
        self.timeout = timeout
        self.max_pages = max_pages
        self._rates: RateTable | None = None

    def fetch(self, kind: str, region: str, size: str) -> Quote | None:
        shape = machine_shape(size)
        if shape is None:
            return None
        family, cpus, gib = shape
        prefix = FAMILIES[family][0]
        rates = self._table()
        core = rates.get((prefix, "Core", region))
        ram = rates.get((prefix, "Ram", region))
        if core is None or ram is None:
            return None
        return Quote(round(cpus * core[0] + gib * ram[0], 6), core[1])

    def _table(self) -> RateTable:
        if self._rates is None:
            self._rates = rates_from_skus(self._skus())
        return self._rates

    def _skus(self) -> list[dict[str, Any]]:
        headers = {"Authorization": f"Bearer {self.token()}"} if self.token else {}
        skus: list[dict[str, Any]] = []
        page_token = ""
        for _ in range(self.max_pages):
            params = {"pageSize": "5000", "currencyCode": "USD"}
            if self.api_key:
                params["key"] = self.api_key
            if page_token:
                params["pageToken"] = page_token
            url = f"{self.base_url}/{COMPUTE_ENGINE}/skus?{urlencode(params)}"
            body = get_json(url, self.opener, self.timeout, headers)
            if not isinstance(body, dict):
                raise PriceSourceError("billing catalog: unexpected answer")
            skus.extend(body.get("skus") or [])
            page_token = body.get("nextPageToken") or ""
            if not page_token:
                return skus
        raise PriceSourceError(f"billing catalog: more than {self.max_pages} pages")


def from_connection(connection: GcpConnection) -> GcpBillingCatalog:
    """Authenticate to the Cloud Billing Catalog with the connection's own credentials
    (refreshed when needed), so no separate API key is required."""

    def token() -> str:
        from google.auth.transport.requests import Request

        credentials = connection.credentials()
        if not credentials.valid:
            credentials.refresh(Request())
        return str(credentials.token)

    return GcpBillingCatalog(token=token)
