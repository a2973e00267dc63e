"""Request/response plumbing shared by the fake's route modules."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    from sandbox.azure_fake.server import AzureFake

Json = dict[str, Any]

SUB = r"/subscriptions/(?P<sub>[^/]+)"
RG = SUB + r"/resourceGroups/(?P<rg>[^/]+)"


class FakeError(Exception):
    """An error the fake answers with, in the ARM ``{"error": {"code", "message"}}`` shape."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers: dict[str, str] = {}

    def body(self) -> Json:
        return {"error": {"code": self.code, "message": self.message}}


def not_found(kind: str, name: str, resource_group: str = "") -> FakeError:
    where = f" under resource group '{resource_group}'" if resource_group else ""
    return FakeError(404, "ResourceNotFound", f"The Resource '{kind}/{name}'{where} was not found.")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: Json
    base: str
    params: dict[str, str] = field(default_factory=dict)

    def url(self, path: str, **query: str) -> str:
        return f"{self.base}{path}?{urlencode(query)}"


@dataclass
class Response:
    status: int
    body: Json | None = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[["AzureFake", Request], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


def route(method: str, pattern: str, handler: Handler) -> Route:
    return Route(method, re.compile(pattern + "$", re.IGNORECASE), handler)


def page(req: Request, items: list[Json], size: int) -> Response:
    """One page of a list, with an absolute ``nextLink`` carrying every query parameter."""
    try:
        start = int(req.query.get("$skiptoken", "0"))
    except ValueError as err:
        raise FakeError(400, "InvalidSkipToken", "The $skiptoken is not valid.") from err
    body: Json = {"value": items[start : start + size]}
    if start + size < len(items):
        query = {**req.query, "$skiptoken": str(start + size)}
        body["nextLink"] = req.url(req.path, **query)
    return Response(200, body)
