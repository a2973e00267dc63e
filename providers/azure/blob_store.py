"""The ledger and state objects in Azure Blob Storage (``azblob://account/container/prefix``).

Real runs authenticate with ``DefaultAzureCredential`` (the Function app's managed identity
needs *Storage Blob Data Contributor* on the container). With ``endpoint_url`` (Azurite),
the emulator's well-known ``devstoreaccount1`` key is used. The container must exist
(infrastructure creates it; ``ensure_container()`` exists for the emulator and the demo).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, TypeVar
from urllib.parse import urlparse

from providers.store import ABSENT, Conflict, StoreError, Versioned

SCHEME = "azblob"
# Azurite's documented development account and key (public, not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
STORAGE_SCOPE = "https://storage.azure.com/.default"
T = TypeVar("T")


class BlobStore:
    # List Blobs returns up to 5,000 names a request (the meter counts one LIST per page).
    list_page = 5000

    def __init__(self, url: str, endpoint_url: str = "", service: Any = None) -> None:
        parsed = urlparse(url)
        container, _, prefix = parsed.path.strip("/").partition("/")
        if parsed.scheme != SCHEME or not parsed.netloc or not container:
            raise StoreError(
                f"not an Azure Blob location: {url!r} (expected azblob://account/container/prefix)"
            )
        self.url = url
        self.account = parsed.netloc
        self.prefix = prefix.strip("/")
        self.container_name = container
        self.container = (service or _service(self.account, endpoint_url)).get_container_client(
            container
        )

    def _key(self, key: str) -> str:
        if not key or key.startswith("/") or any(p in ("", ".", "..") for p in key.split("/")):
            raise StoreError(f"invalid object key {key!r}")
        return f"{self.prefix}/{key}" if self.prefix else key

    def ensure_container(self) -> None:
        from azure.core.exceptions import ResourceExistsError

        try:
            self._guard("create container", self.container.create_container)
        except StoreError as err:
            if not isinstance(err.__cause__, ResourceExistsError):
                raise

    def put(self, key: str, data: bytes) -> None:
        blob = self._key(key)
        self._guard(f"write {blob}", lambda: self.container.upload_blob(blob, data, overwrite=True))

    def get(self, key: str) -> bytes | None:
        return self.read(key).data

    def read(self, key: str) -> Versioned:
        from azure.core.exceptions import AzureError, ResourceNotFoundError

        blob = self._key(key)
        try:
            downloader = self.container.download_blob(blob)
            data: bytes = downloader.readall()
        except ResourceNotFoundError as err:
            if getattr(err, "error_code", "") == "BlobNotFound":
                return Versioned(None)
            raise StoreError(self._describe(f"read {blob}", err)) from err
        except AzureError as err:
            raise StoreError(self._describe(f"read {blob}", err)) from err
        return Versioned(data, str(downloader.properties.etag))

    def put_if(self, key: str, data: bytes, version: str) -> str:
        """Upload with an ETag condition (``If-Match``), or create-only (``If-None-Match: *``)."""
        from azure.core import MatchConditions
        from azure.core.exceptions import AzureError, ResourceExistsError, ResourceModifiedError

        blob = self._key(key)
        if version == ABSENT:
            options: dict[str, Any] = {"overwrite": False}
        else:
            options = {
                "overwrite": True,
                "etag": version,
                "match_condition": MatchConditions.IfNotModified,
            }
        try:
            response = self.container.get_blob_client(blob).upload_blob(data, **options)
        except (ResourceExistsError, ResourceModifiedError) as err:
            raise Conflict(self._describe(f"write {blob}", err)) from err
        except AzureError as err:
            raise StoreError(self._describe(f"write {blob}", err)) from err
        return str(response["etag"])

    def list(self, prefix: str) -> Iterator[str]:
        strip = len(self.prefix) + 1 if self.prefix else 0
        start = f"{self.prefix}/{prefix}" if self.prefix else prefix
        names = self._guard(
            f"list {start}",
            lambda: sorted(b.name for b in self.container.list_blobs(name_starts_with=start)),
        )
        yield from (name[strip:] for name in names)

    def delete(self, key: str) -> None:
        from azure.core.exceptions import AzureError, ResourceNotFoundError

        blob = self._key(key)
        try:
            self.container.delete_blob(blob)
        except ResourceNotFoundError as err:
            if getattr(err, "error_code", "") != "BlobNotFound":
                raise StoreError(self._describe(f"delete {blob}", err)) from err
        except AzureError as err:
            raise StoreError(self._describe(f"delete {blob}", err)) from err

    def _guard(self, what: str, call: Callable[[], T]) -> T:
        from azure.core.exceptions import AzureError

        try:
            return call()
        except AzureError as err:  # service and transport errors alike
            raise StoreError(self._describe(what, err)) from err

    def _describe(self, what: str, err: Exception) -> str:
        code = getattr(err, "error_code", None) or type(err).__name__
        first = str(err).strip().splitlines()[0] if str(err).strip() else ""
        where = f"{SCHEME}://{self.account}/{self.container_name}"
        return f"cannot {what} in {where}: {code}: {first}"[:400]


def _service(account: str, endpoint_url: str) -> Any:
    from azure.storage.blob import BlobServiceClient

    if endpoint_url:
        connection = (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};"
            f"AccountKey={AZURITE_KEY};BlobEndpoint={_account_endpoint(endpoint_url)};"
        )
        return BlobServiceClient.from_connection_string(connection)
    from azure.identity import DefaultAzureCredential

    # As in connection.py: the configured authority is trusted, not vouched for by
    # login.microsoftonline.com (instance discovery would call it for any other host).
    credential = DefaultAzureCredential(disable_instance_discovery=True)
    _check_credential(credential, account)
    return BlobServiceClient(f"https://{account}.blob.core.windows.net", credential=credential)


def _check_credential(credential: Any, account: str) -> None:
    """Fail at once when no credential is found.

    The blob client's retry policy retries every ``AzureError`` with a 15 s backoff, a
    credential that cannot find a token included: left to it, a run on a machine without
    Azure credentials waits about 90 s to say so. The token asked for here is cached by
    the credential, so the first real request costs nothing more.
    """
    from azure.core.exceptions import ClientAuthenticationError

    try:
        credential.get_token(STORAGE_SCOPE)
    except ClientAuthenticationError as err:
        summary = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise StoreError(f"no Azure credential for {SCHEME}://{account}: {summary}") from err


def _account_endpoint(endpoint_url: str) -> str:
    """Azurite serves accounts under a path: accept the bare host or the account URL."""
    endpoint = endpoint_url.rstrip("/")
    return endpoint if endpoint.endswith(f"/{AZURITE_ACCOUNT}") else f"{endpoint}/{AZURITE_ACCOUNT}"
