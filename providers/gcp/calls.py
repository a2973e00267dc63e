"""What a failed Google API call looks like, for adapters turning failures into Results."""

from __future__ import annotations

import requests
from google.api_core import exceptions

from providers.gcp.rest import GcpApiError
from providers.store import StoreError

# Everything a single call can fail with that must become a FAILED Result, not a crash.
API_ERRORS: tuple[type[Exception], ...] = (
    exceptions.GoogleAPICallError,
    exceptions.RetryError,
    requests.RequestException,
    GcpApiError,
)
# ... and what an adapter that keeps state can fail with besides.
ADAPTER_ERRORS: tuple[type[Exception], ...] = (*API_ERRORS, StoreError)
# The request itself was refused as invalid for this resource (e.g. suspend with GPUs).
CLIENT_ERRORS: tuple[type[Exception], ...] = (exceptions.BadRequest, exceptions.FailedPrecondition)


def error_text(err: BaseException) -> str:
    """One line: the API's message without the request URL the client library prepends."""
    if isinstance(err, exceptions.GoogleAPICallError):
        code = err.code if err.code is not None else ""
        return f"{code} {err.message}".strip().splitlines()[0]
    text = str(err) or type(err).__name__
    return text.splitlines()[0]
