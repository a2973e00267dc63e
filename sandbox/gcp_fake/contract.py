"""Requests checked against Google's published discovery documents, before any route runs.

``google-api-python-client`` bundles the discovery documents of the APIs the fake serves
(``googleapiclient/discovery_cache/documents``: compute v1, notebooks v2, aiplatform v1,
monitoring v3, cloudresourcemanager v3, secretmanager v1). For every request the fake
finds the method by HTTP verb and path template (``flatPath``, else ``path``) and refuses,
with 400 INVALID_ARGUMENT in the Google error shape, what the real front end refuses:

- a query parameter the method does not define (nor the API's standard parameters):
  ``Cannot bind query parameter``;
- a required parameter missing, a value off its ``enum``, a boolean or integer that does
  not parse, a path parameter off its ``pattern``;
- a body field the request schema does not define (at any depth), a value of the wrong
  JSON type or off its ``enum``.

A path no method of a loaded document matches is answered by the routes (404). Without
``googleapiclient`` installed (a demo install) nothing is checked.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sandbox.gcp_fake.world import ApiError

Json = dict[str, Any]
# Route prefix on the fake -> (document, the path prefix its templates are relative to).
_DOCUMENTS = {
    "/compute/v1/": ("compute.v1", "/compute/v1/"),
    "/notebooks/": ("notebooks.v2", "/notebooks/"),
    "/aiplatform/": ("aiplatform.v1", "/aiplatform/"),
    "/monitoring/": ("monitoring.v3", "/monitoring/"),
    "/cloudresourcemanager/": ("cloudresourcemanager.v3", "/cloudresourcemanager/"),
    "/secretmanager/": ("secretmanager.v1", "/secretmanager/"),
}
# System parameters every Google API accepts besides the document's own standard ones
# ("System parameters", https://cloud.google.com/apis/docs/system-parameters): the client
# libraries' REST transports send ``$alt=json;enum-encoding=int``.
_SYSTEM = {"$alt", "$fields", "$prettyPrint", "$callback", "$key"}
_JSON_TYPES: dict[str, Any] = {
    "string": str,
    "boolean": bool,
    "integer": int,
    "number": (int, float),
    "object": dict,
    "array": list,
}


@dataclass(frozen=True)
class Method:
    http: str
    pattern: re.Pattern[str]  # from ``flatPath`` (or ``path``): finds the method
    path: re.Pattern[str]  # from ``path``: the values of the method's path parameters
    names: tuple[str, ...]  # the ``path`` template's parameter names, in order
    doc: Json


@cache
def _document(name: str) -> Json | None:
    found = importlib.util.find_spec("googleapiclient")
    if found is None or found.origin is None:
        return None
    folder = Path(found.origin).parent / "discovery_cache" / "documents"
    path = folder / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _methods(resources: Json) -> Iterator[Json]:
    for resource in resources.values():
        yield from resource.get("methods", {}).values()
        yield from _methods(resource.get("resources", {}))


def _template(text: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    names: list[str] = []
    out = ""
    for part in re.split(r"(\{\+?[^}]+\})", text):
        if part.startswith("{"):
            names.append(part.strip("{}+"))
            out += "(.+)" if part.startswith("{+") else "([^/:]+)"
        else:
            out += re.escape(part)
    return re.compile(out + "$"), tuple(names)


@cache
def _index(name: str) -> tuple[Method, ...]:
    document = _document(name)
    if document is None:
        return ()
    found = []
    for method in _methods(document.get("resources", {})):
        pattern, _ = _template(method.get("flatPath") or method["path"])
        path, names = _template(method["path"])
        found.append(Method(method["httpMethod"], pattern, path, names, method))
    # Literal segments win over parameters: longer templates first.
    return tuple(sorted(found, key=lambda m: -len(m.pattern.pattern)))


def find(http: str, path: str) -> tuple[Json, Json, dict[str, str]] | None:
    """(document, method, path values) of the request, or None when no document has it."""
    for prefix, (name, root) in _DOCUMENTS.items():
        if not path.startswith(prefix):
            continue
        relative = path[len(root) :]
        for method in _index(name):
            if method.http == http and method.pattern.match(relative):
                document = _document(name) or {}
                match = method.path.match(relative)
                values = dict(zip(method.names, match.groups(), strict=True)) if match else {}
                return document, method.doc, values
    return None


def check(http: str, path: str, query: dict[str, str], body: Json) -> None:
    """Raise ``ApiError(400)`` for what the method's published contract does not allow."""
    found = find(http, path)
    if found is None:
        return
    document, method, values = found
    parameters: Json = method.get("parameters", {})
    allowed = set(parameters) | set(document.get("parameters", {})) | _SYSTEM
    for key in query:
        if key not in allowed:
            raise _invalid(
                f'Invalid JSON payload received. Unknown name "{key}": Cannot bind query '
                f"parameter. Field '{key}' could not be found in request message."
            )
    for name, spec in parameters.items():
        where = spec.get("location")
        value = query.get(name) if where == "query" else values.get(name)
        if value is None:
            if spec.get("required"):
                raise _invalid(f"Required parameter '{name}' not specified.")
            continue
        _check_value(name, value, spec)
    request = method.get("request", {}).get("$ref")
    if request:
        _check_body(document, {"$ref": request}, body, "")


def _check_value(name: str, value: str, spec: Json) -> None:
    if spec.get("enum") and value not in spec["enum"]:
        raise _invalid(f"Invalid value at '{name}' ({value!r}): not one of {spec['enum']}.")
    kind = spec.get("type")
    if kind == "boolean" and value not in ("true", "false", "True", "False", "1", "0"):
        raise _invalid(f"Invalid value at '{name}' (TYPE_BOOL), \"{value}\"")
    if kind == "integer" and not re.fullmatch(r"-?\d+", value):
        raise _invalid(f"Invalid value at '{name}' (TYPE_INT32), \"{value}\"")
    pattern = spec.get("pattern")
    if pattern and spec.get("location") == "path" and not re.match(pattern, value):
        raise _invalid(f"Invalid resource field value in the request: {name} {value!r}.")


def _check_body(document: Json, spec: Json, value: Any, at: str) -> None:
    """``value`` against a schema (``$ref``, properties, items, additionalProperties)."""
    schemas = document.get("schemas", {})
    if "$ref" in spec:
        spec = schemas.get(spec["$ref"], {})
    kind = spec.get("type")
    if kind == "any" or (kind is None and "properties" not in spec):
        return
    expected = _JSON_TYPES.get(kind or "object")
    wrong_type = expected is not None and not isinstance(value, expected)
    # int64/uint64 are strings in JSON, and strings parse as numbers too.
    if wrong_type and not (kind in ("integer", "number") and isinstance(value, str)):
        raise _invalid(f"Invalid value at '{at or 'body'}': expected {kind}, got {value!r}.")
    if kind == "string" and spec.get("enum") and value not in spec["enum"]:
        raise _invalid(f"Invalid value at '{at}' (TYPE_ENUM), \"{value}\"")
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check_body(document, spec.get("items", {}), item, f"{at}[{i}]")
    if isinstance(value, dict):
        _check_object(document, spec, value, at)


def _check_object(document: Json, spec: Json, value: Json, at: str) -> None:
    properties: Json = spec.get("properties", {})
    extra: Json | None = spec.get("additionalProperties")
    for key, item in value.items():
        where = f"{at}.{key}" if at else key
        if key in properties:
            _check_body(document, properties[key], item, where)
        elif extra is not None:
            _check_body(document, extra, item, where)
        elif key != "@type":
            raise _invalid(
                f'Invalid JSON payload received. Unknown name "{key}" at '
                f"'{at or 'body'}': Cannot find field."
            )


def _invalid(message: str) -> ApiError:
    return ApiError(400, message, "INVALID_ARGUMENT")
