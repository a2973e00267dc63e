"""The ledger and state objects in S3 (``s3://bucket/prefix``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

from ledger.store import ABSENT, Conflict, StoreError, StoreUnavailable, Versioned


class S3Store:
    def __init__(self, url: str, endpoint_url: str = "", client: Any = None) -> None:
        parsed = urlparse(url)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise StoreError(f"not an S3 location: {url!r} (expected s3://bucket/prefix)")
        self.url = url
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        if client is None:
            import boto3

            client = boto3.client("s3", endpoint_url=endpoint_url or None)
        self.s3 = client

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes) -> None:
        self._guard(lambda: self.s3.put_object(Bucket=self.bucket, Key=self._key(key), Body=data))

    def get(self, key: str) -> bytes | None:
        return self.read(key).data

    def read(self, key: str) -> Versioned:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self.s3.get_object(Bucket=self.bucket, Key=self._key(key))
            body: bytes = response["Body"].read()
        except ClientError as err:
            if err.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return Versioned(None)
            raise _error(f"cannot read {self.url}/{key}: {err}", err) from err
        except BotoCoreError as err:
            raise StoreUnavailable(f"cannot read {self.url}/{key}: {err}") from err
        return Versioned(body, response["ETag"])

    def put_if(self, key: str, data: bytes, version: str) -> str:
        """PutObject with ``If-None-Match: *`` (create) or ``If-Match: <ETag>``."""
        from botocore.exceptions import BotoCoreError, ClientError

        condition = {"IfNoneMatch": "*"} if version == ABSENT else {"IfMatch": version}
        try:
            response = self.s3.put_object(
                Bucket=self.bucket, Key=self._key(key), Body=data, **condition
            )
        except ClientError as err:
            code = err.response["Error"]["Code"]
            # 409 ConditionalRequestConflict: a concurrent write to the same key.
            if code in ("PreconditionFailed", "412", "ConditionalRequestConflict", "409"):
                raise Conflict(f"{self.url}/{key} changed since it was read") from err
            raise StoreError(f"cannot write to {self.url}: {err}") from err
        except BotoCoreError as err:
            raise StoreError(f"cannot write to {self.url}: {err}") from err
        etag: str = response["ETag"]
        return etag

    def list(self, prefix: str) -> Iterator[str]:
        from botocore.exceptions import BotoCoreError, ClientError

        strip = len(self.prefix) + 1 if self.prefix else 0
        pages = self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self._key(prefix)
        )
        try:
            for page in pages:
                for item in page.get("Contents", []):
                    yield item["Key"][strip:]
        except (ClientError, BotoCoreError) as err:
            raise StoreError(f"cannot list {self.url}/{prefix}: {err}") from err

    def delete(self, key: str) -> None:
        self._guard(lambda: self.s3.delete_object(Bucket=self.bucket, Key=self._key(key)))

    def _guard(self, call: Any) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            call()
        except (ClientError, BotoCoreError) as err:
            raise StoreError(f"cannot write to {self.url}: {err}") from err


def _error(message: str, err: Any) -> StoreError:
    """A server error (5xx) is of the moment; anything else (no such bucket, access
    denied) is of the location."""
    status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return StoreUnavailable(message) if status >= 500 else StoreError(message)
