"""Local fakes of the three price APIs, on loopback, answering recorded response shapes.

The documents below are written by hand in the shapes the real APIs return (AWS Price
List ``GetProducts``, Azure Retail Prices, Cloud Billing Catalog ``skus.list``); moto does
not implement the Price List API (it answers 404), so the AWS fake speaks the AWS JSON 1.1
protocol that boto3's ``pricing`` client sends.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

Handler = Callable[[str, str, dict[str, list[str]], dict[str, str], bytes], tuple[int, Any]]


class FakeApi:
    def __init__(self, handle: Handler) -> None:
        self.handle = handle
        self.requests: list[tuple[str, str]] = []
        self.fail = False
        self.url = ""

    @contextmanager
    def serving(self) -> Iterator[FakeApi]:
        api = self

        class Http(BaseHTTPRequestHandler):
            def _answer(self, method: str) -> None:
                parsed = urlparse(self.path)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                api.requests.append((method, self.path))
                if api.fail:
                    status, payload = 503, {"error": "unavailable"}
                else:
                    status, payload = api.handle(
                        method, parsed.path, parse_qs(parsed.query), dict(self.headers), body
                    )
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Http)
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
            thread.join(5)


# ---- AWS Price List ----------------------------------------------------------------------


def aws_product(instance_type: str, region: str, usd: str, **attributes: str) -> str:
    sku = f"SKU{abs(hash((instance_type, region, tuple(attributes.items())))) % 10**8:08d}"
    attrs = {
        "instanceType": instance_type,
        "regionCode": region,
        "operatingSystem": "Linux",
        "tenancy": "Shared",
        "preInstalledSw": "NA",
        "capacitystatus": "Used",
        "licenseModel": "No License required",
        "servicecode": "AmazonEC2",
        **attributes,
    }
    term = f"{sku}.JRTCKXETXF"
    document = {
        "product": {"productFamily": "Compute Instance", "attributes": attrs, "sku": sku},
        "serviceCode": "AmazonEC2",
        "terms": {
            "OnDemand": {
                term: {
                    "priceDimensions": {
                        f"{term}.6YS6EN2CT7": {
                            "unit": "Hrs",
                            "endRange": "Inf",
                            "description": f"${usd} per On Demand Linux {instance_type} Hour",
                            "appliesTo": [],
                            "rateCode": f"{term}.6YS6EN2CT7",
                            "beginRange": "0",
                            "pricePerUnit": {"USD": usd},
                        }
                    },
                    "sku": sku,
                    "effectiveDate": "2026-11-01T00:00:00Z",
                    "offerTermCode": "JRTCKXETXF",
                    "termAttributes": {},
                }
            },
        },
        "version": "20261101000000",
        "publicationDate": "2026-11-01T00:00:00Z",
    }
    return json.dumps(document)


AWS_PRODUCTS = [
    aws_product("m5.large", "eu-west-1", "0.1070000000"),
    aws_product("m5.large", "eu-west-1", "0.2030000000", operatingSystem="Windows"),
    aws_product(
        "m5.large", "eu-west-1", "0.1070000000", capacitystatus="UnusedCapacityReservation"
    ),
    aws_product("t3.medium", "eu-west-1", "0.0456000000"),
    aws_product("m5.large", "us-east-1", "0.0960000000"),
]


def aws_price_list() -> FakeApi:
    def handle(method: str, path: str, query: Any, headers: dict[str, str], body: bytes) -> Any:
        if headers.get("X-Amz-Target") != "AWSPriceListService.GetProducts":
            return 400, {"__type": "InvalidParameterException", "message": "unknown target"}
        request = json.loads(body)
        wanted = {f["Field"]: f["Value"] for f in request.get("Filters", [])}
        matches = [
            p
            for p in AWS_PRODUCTS
            if all(json.loads(p)["product"]["attributes"].get(k) == v for k, v in wanted.items())
        ]
        start = int(request.get("NextToken") or 0)
        page: dict[str, Any] = {"FormatVersion": "aws_v1", "PriceList": matches[start : start + 1]}
        if start + 1 < len(matches):
            page["NextToken"] = str(start + 1)
        return 200, page

    return FakeApi(handle)


# ---- Azure Retail Prices -----------------------------------------------------------------


def azure_item(sku: str, region: str, price: float, product: str, sku_name: str) -> dict[str, Any]:
    return {
        "currencyCode": "USD",
        "tierMinimumUnits": 0.0,
        "retailPrice": price,
        "unitPrice": price,
        "armRegionName": region,
        "location": "EU West",
        "effectiveStartDate": "2025-01-01T00:00:00Z",
        "meterId": "00000000-0000-0000-0000-000000000000",
        "meterName": sku_name,
        "productId": "DZH318Z0BQPS",
        "skuId": "DZH318Z0BQPS/00C8",
        "productName": product,
        "skuName": sku_name,
        "serviceName": "Virtual Machines",
        "serviceId": "DZH313Z7MMC8",
        "serviceFamily": "Compute",
        "unitOfMeasure": "1 Hour",
        "type": "Consumption",
        "isPrimaryMeterRegion": True,
        "armSkuName": sku,
    }


AZURE_ITEMS = [
    azure_item(
        "Standard_D2s_v5", "westeurope", 0.2, "Virtual Machines Dsv5 Series Windows", "D2s v5"
    ),
    azure_item(
        "Standard_D2s_v5", "westeurope", 0.02, "Virtual Machines Dsv5 Series", "D2s v5 Spot"
    ),
    azure_item("Standard_D2s_v5", "westeurope", 0.096, "Virtual Machines Dsv5 Series", "D2s v5"),
    azure_item(
        "Standard_D2s_v5",
        "westeurope",
        0.019,
        "Virtual Machines Dsv5 Series",
        "D2s v5 Low Priority",
    ),
    azure_item("Standard_D2s_v5", "eastus", 0.096, "Virtual Machines Dsv5 Series", "D2s v5"),
]
_AZ_FILTER = re.compile(r"(\w+) eq '((?:[^']|'')*)'")


def azure_retail_prices() -> FakeApi:
    api: FakeApi

    def handle(method: str, path: str, query: Any, headers: dict[str, str], body: bytes) -> Any:
        if path != "/api/retail/prices":
            return 404, {"Error": "not found"}
        conditions = dict(_AZ_FILTER.findall(query.get("$filter", [""])[0]))
        matches = [
            i
            for i in AZURE_ITEMS
            if all(
                str(i.get(k)) == v.replace("''", "'")
                for k, v in conditions.items()
                if k != "priceType"
            )
            and i["type"] == conditions.get("priceType", i["type"])
        ]
        skip = int(query.get("$skip", ["0"])[0])
        page = matches[skip : skip + 2]
        link = None
        if skip + 2 < len(matches):
            link = f"{api.url}/api/retail/prices?" + urlencode(
                {"$filter": query["$filter"][0], "$skip": skip + 2}
            )
        return 200, {
            "BillingCurrency": "USD",
            "CustomerEntityId": "Default",
            "CustomerEntityType": "Retail",
            "Items": page,
            "NextPageLink": link,
            "Count": len(page),
        }

    api = FakeApi(handle)
    return api


# ---- Cloud Billing Catalog ---------------------------------------------------------------


def gcp_sku(
    sku_id: str, description: str, region: str, nanos: int, usage: str = "OnDemand", unit: str = "h"
) -> dict[str, Any]:
    return {
        "name": f"services/6F81-5844-456A/skus/{sku_id}",
        "skuId": sku_id,
        "description": description,
        "category": {
            "serviceDisplayName": "Compute Engine",
            "resourceFamily": "Compute",
            "resourceGroup": "N2Standard",
            "usageType": usage,
        },
        "serviceRegions": [region],
        "pricingInfo": [
            {
                "effectiveTime": "2026-11-01T00:00:00Z",
                "pricingExpression": {
                    "usageUnit": unit,
                    "displayQuantity": 1,
                    "tieredRates": [
                        {
                            "startUsageAmount": 0,
                            "unitPrice": {"currencyCode": "USD", "units": "0", "nanos": nanos},
                        }
                    ],
                    "usageUnitDescription": "hour",
                    "baseUnit": "s",
                    "baseUnitConversionFactor": 3600,
                },
                "currencyConversionRate": 1,
            }
        ],
        "serviceProviderName": "Google",
        "geoTaxonomy": {"type": "REGIONAL", "regions": [region]},
    }


GCP_SKUS = [
    gcp_sku("A1", "N2 Instance Core running in Netherlands", "europe-west4", 34773000),
    gcp_sku("A2", "N2 Instance Ram running in Netherlands", "europe-west4", 4661000, unit="GiBy.h"),
    gcp_sku(
        "A3",
        "Spot Preemptible N2 Instance Core running in Netherlands",
        "europe-west4",
        8000000,
        usage="Preemptible",
    ),
    gcp_sku(
        "A4",
        "Commitment v1: N2 Cpu in Netherlands for 1 Year",
        "europe-west4",
        21000000,
        usage="Commit1Yr",
    ),
    gcp_sku("A5", "E2 Instance Core running in Americas", "us-central1", 21811590),
    gcp_sku("A6", "E2 Instance Ram running in Americas", "us-central1", 2923530, unit="GiBy.h"),
    gcp_sku("A7", "N2 Custom Instance Core running in Netherlands", "europe-west4", 36500000),
]


def gcp_billing_catalog() -> FakeApi:
    def handle(method: str, path: str, query: Any, headers: dict[str, str], body: bytes) -> Any:
        if path != "/v1/services/6F81-5844-456A/skus":
            return 404, {"error": {"code": 404}}
        if query.get("key", [""])[0] != "test-key":
            return 403, {"error": {"code": 403, "message": "API key not valid"}}
        start = int(query.get("pageToken", ["0"])[0] or 0)
        page: dict[str, Any] = {"skus": GCP_SKUS[start : start + 3], "nextPageToken": ""}
        if start + 3 < len(GCP_SKUS):
            page["nextPageToken"] = str(start + 3)
        return 200, page

    return FakeApi(handle)
