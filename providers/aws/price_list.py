"""Live EC2 on-demand prices from the AWS Price List Query API (``pricing.get_products``).

The API lives in a few regions only (us-east-1, eu-central-1, ap-south-1) whatever region
is priced; pass a client built for one of them. Filters select Linux, shared tenancy, no
pre-installed software, capacity "Used": the list price of an ordinary on-demand box.
Each ``PriceList`` entry is a JSON document (a string) with ``product`` and ``terms``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from providers.pricing import PriceSourceError, Quote

if TYPE_CHECKING:
    from providers.aws.connection import AwsConnection

# kind -> (ServiceCode, fixed TERM_MATCH filters); the size goes into ``instanceType``.
PRODUCTS: dict[str, tuple[str, dict[str, str]]] = {
    "ec2": (
        "AmazonEC2",
        {
            "operatingSystem": "Linux",
            "tenancy": "Shared",
            "preInstalledSw": "NA",
            "capacitystatus": "Used",
            "licenseModel": "No License required",
        },
    ),
}


def on_demand_hourly(document: dict[str, Any]) -> Quote | None:
    """The hourly on-demand price in one Price List document (USD first)."""
    quotes: list[Quote] = []
    for term in document.get("terms", {}).get("OnDemand", {}).values():
        for dimension in term.get("priceDimensions", {}).values():
            if not str(dimension.get("unit", "")).lower().startswith("hr"):
                continue
            for currency, amount in dimension.get("pricePerUnit", {}).items():
                value = float(amount)
                if value > 0:
                    quotes.append(Quote(value, currency))
    usd = [q for q in quotes if q.currency == "USD"]
    chosen = usd or quotes
    return min(chosen, key=lambda q: q.hourly) if chosen else None


class AwsPriceList:
    name = "aws-price-list"
    provider = "aws"
    kinds = frozenset(PRODUCTS)

    def __init__(self, client: Any) -> None:
        self.client = client  # boto3.client("pricing", region_name="us-east-1")

    def fetch(self, kind: str, region: str, size: str) -> Quote | None:
        from botocore.exceptions import BotoCoreError, ClientError

        service, fixed = PRODUCTS[kind]
        filters = [
            {"Type": "TERM_MATCH", "Field": field, "Value": value}
            for field, value in {**fixed, "instanceType": size, "regionCode": region}.items()
        ]
        quotes: list[Quote] = []
        try:
            pages = self.client.get_paginator("get_products").paginate(
                ServiceCode=service, Filters=filters, FormatVersion="aws_v1"
            )
            for page in pages:
                for text in page.get("PriceList", []):
                    quote = on_demand_hourly(json.loads(text))
                    if quote is not None:
                        quotes.append(quote)
        except (ClientError, BotoCoreError, ValueError) as err:
            raise PriceSourceError(
                f"pricing.get_products {service} {region} {size}: {err}"
            ) from err
        # Several products can match (a variant attribute we do not filter on): take the
        # lowest, so a saving is never overstated.
        return min(quotes, key=lambda q: q.hourly) if quotes else None


def from_connection(connection: AwsConnection) -> AwsPriceList:
    """The Price List API lives in us-east-1 whatever the targets' regions."""
    return AwsPriceList(connection.home_client("pricing", "us-east-1"))
