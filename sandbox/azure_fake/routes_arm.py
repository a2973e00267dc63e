"""Resource Manager itself: subscriptions list and async-operation status resources.

- ``GET /subscriptions?api-version=2022-12-01`` (Subscriptions - List)
- ``GET /subscriptions/{s}/providers/{ns}/locations/{loc}/operations/{id}`` (status, or
  the final result with ``monitor=true``), ``.../operationresults/{id}`` (AKS result) and
  ``.../computeOperationsStatus/{id}`` (Azure ML).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox.azure_fake.wire import SUB, Request, Response, page, route

if TYPE_CHECKING:
    from sandbox.azure_fake.server import AzureFake


def list_subscriptions(fake: AzureFake, req: Request) -> Response:
    items = [
        {
            "id": f"/subscriptions/{sub}",
            "subscriptionId": sub,
            "displayName": name,
            "state": "Enabled",
            "authorizationSource": "RoleBased",
        }
        for sub, name in sorted(fake.subscriptions.items())
    ]
    return page(req, items, fake.page_size)


def operation_status(fake: AzureFake, req: Request) -> Response:
    op = fake.poll(req.params["op"])
    collection = req.params["coll"].lower()
    is_result = collection == "operationresults" or req.query.get("monitor") == "true"
    hint = {"Retry-After-Ms": "1"} if op.status == "InProgress" else {}
    if not is_result:
        return Response(200, op.render(), hint)
    if op.status == "InProgress":
        return Response(202, None, {"Location": req.url(req.path, **req.query), **hint})
    if op.status == "Failed":
        return Response(400, {"error": op.error})
    return Response(200, None)


ROUTES = [
    route("GET", r"/subscriptions", list_subscriptions),
    route(
        "GET",
        SUB + r"/providers/(?P<ns>[^/]+)/locations/(?P<loc>[^/]+)/"
        r"(?P<coll>operations|operationresults|computeOperationsStatus)/(?P<op>[^/]+)",
        operation_status,
    ),
]
