"""Google Cloud Storage as an ``providers.store.ObjectStore``: ``gs://bucket/prefix``.

With ``endpoint_url`` (a GCS emulator, as ``STORAGE_EMULATOR_HOST`` would name it) the
client talks to it anonymously; otherwise it uses Application Default Credentials. The
bucket must exist: the store never creates one. Every failure is a StoreError with a
one-line message.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import requests

from providers.store import ABSENT, Conflict, StoreError, Versioned

_LOCAL_PROJECT = "offhours-local"


class GcsStore:
    # Overwriting an object needs delete as well as create; get on the bucket tells a
    # missing bucket from a missing object.
    permissions = (
        "storage.buckets.get",
        "storage.objects.create",
        "storage.objects.delete",
        "storage.objects.get",
        "storage.objects.list",
    )

    # Each call is retried on transient errors for at most this long; one request waits
    # at most ``request_timeout``. (The library's own defaults add up to minutes.)
    retry_timeout = 60.0
    request_timeout = 30.0

    def __init__(self, url: str, endpoint_url: str = "") -> None:
        if not url.startswith("gs://") or not url[5:].split("/", 1)[0]:
            raise StoreError(f"not a GCS location (gs://bucket/prefix): {url!r}")
        bucket, _, prefix = url[5:].partition("/")
        self.url = url
        self.bucket_name = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.endpoint_url = endpoint_url
        self._client: Any = None
        self._lock = threading.Lock()

    def _bucket(self) -> Any:
        with self._lock:
            if self._client is None:
                import google.cloud.storage

                storage: Any = google.cloud.storage

                if self.endpoint_url:
                    from google.auth.credentials import AnonymousCredentials

                    self._client = storage.Client(
                        project=_LOCAL_PROJECT,
                        credentials=AnonymousCredentials(),
                        client_options={"api_endpoint": self.endpoint_url},
                    )
                else:
                    self._client = storage.Client()
            return self._client.bucket(self.bucket_name)

    def _call_options(self) -> dict[str, Any]:
        from google.cloud.storage.retry import DEFAULT_RETRY

        return {
            "retry": DEFAULT_RETRY.with_timeout(self.retry_timeout),
            "timeout": self.request_timeout,
        }

    def _name(self, key: str) -> str:
        parts = key.split("/")
        if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
            raise StoreError(f"invalid object key {key!r}")
        return self.prefix + key

    def _fail(self, verb: str, key: str, err: Exception) -> StoreError:
        message = getattr(err, "message", None) or str(err) or type(err).__name__
        first = str(message).strip().splitlines()[0] if str(message).strip() else type(err).__name__
        return StoreError(f"cannot {verb} gs://{self.bucket_name}/{self.prefix}{key}: {first}")

    def put(self, key: str, data: bytes) -> None:
        from google.api_core.exceptions import NotFound

        name = self._name(key)
        try:
            self._bucket().blob(name).upload_from_string(data, **self._call_options())
        except NotFound:
            raise StoreError(f"bucket gs://{self.bucket_name} does not exist") from None
        except _errors() as err:
            raise self._fail("write", key, err) from err

    def get(self, key: str) -> bytes | None:
        return self.read(key).data

    def read(self, key: str) -> Versioned:
        from google.api_core.exceptions import NotFound

        blob = self._bucket().blob(self._name(key))
        try:
            data: bytes = blob.download_as_bytes(**self._call_options())
        except NotFound:
            if not self._bucket_exists(key):
                raise StoreError(f"bucket gs://{self.bucket_name} does not exist") from None
            return Versioned(None)
        except _errors() as err:
            raise self._fail("read", key, err) from err
        return Versioned(data, str(blob.generation or ""))

    def put_if(self, key: str, data: bytes, version: str) -> str:
        """Upload with a generation precondition (``ifGenerationMatch``; 0 = create)."""
        from google.api_core.exceptions import NotFound, PreconditionFailed

        blob = self._bucket().blob(self._name(key))
        generation = 0 if version == ABSENT else int(version)
        try:
            blob.upload_from_string(data, if_generation_match=generation, **self._call_options())
        except PreconditionFailed as err:
            raise Conflict(f"gs://{self.bucket_name}/{self.prefix}{key} changed") from err
        except NotFound:
            raise StoreError(f"bucket gs://{self.bucket_name} does not exist") from None
        except _errors() as err:
            raise self._fail("write", key, err) from err
        return str(blob.generation or "")

    def list(self, prefix: str) -> Iterator[str]:
        try:
            blobs = self._bucket().list_blobs(prefix=self.prefix + prefix, **self._call_options())
            names = sorted(blob.name for blob in blobs)
        except _errors() as err:
            raise self._fail("list", prefix, err) from err
        yield from (n[len(self.prefix) :] for n in names)

    def delete(self, key: str) -> None:
        from google.api_core.exceptions import NotFound

        name = self._name(key)
        try:
            self._bucket().blob(name).delete(**self._call_options())
        except NotFound:
            return
        except _errors() as err:
            raise self._fail("delete", key, err) from err

    def _bucket_exists(self, key: str) -> bool:
        """False only when the service says the bucket is missing; a refused check (no
        ``storage.buckets.get``, an outage) cannot tell, and says why."""
        try:
            return bool(self._bucket().exists(**self._call_options()))
        except _errors() as err:
            raise self._fail("read", key, err) from err


def _errors() -> tuple[type[Exception], ...]:
    from google.api_core.exceptions import GoogleAPIError
    from google.auth.exceptions import GoogleAuthError

    return (GoogleAPIError, GoogleAuthError, requests.RequestException)
