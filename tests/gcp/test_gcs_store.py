"""GcsStore against the real gcp-storage-emulator (started per module)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from providers import STORES, load
from providers.gcp.gcs_store import GcsStore
from providers.store import StoreError
from sandbox.gcs_emulator import emulator_binary, start_gcs_emulator


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    if emulator_binary() is None:
        pytest.skip("gcp-storage-emulator is not installed (pip install gcp-storage-emulator)")
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    with start_gcs_emulator() as url:
        client = storage.Client(
            project="test", credentials=AnonymousCredentials(), client_options={"api_endpoint": url}
        )
        client.create_bucket("ledger")
        yield url


def test_put_get_list_delete(endpoint: str) -> None:
    store = GcsStore("gs://ledger/offhours", endpoint_url=endpoint)
    store.put("ledger/v1/provider=gcp/a.jsonl.gz", b"\x1f\x8b first")
    store.put("ledger/v1/provider=gcp/b.jsonl.gz", b"second")
    store.put("state/v1/x.json", b"{}")

    assert store.url == "gs://ledger/offhours"
    assert store.get("ledger/v1/provider=gcp/a.jsonl.gz") == b"\x1f\x8b first"
    assert store.get("ledger/v1/provider=gcp/missing") is None
    assert list(store.list("ledger/")) == [
        "ledger/v1/provider=gcp/a.jsonl.gz",
        "ledger/v1/provider=gcp/b.jsonl.gz",
    ]
    assert list(store.list("")) == [
        "ledger/v1/provider=gcp/a.jsonl.gz",
        "ledger/v1/provider=gcp/b.jsonl.gz",
        "state/v1/x.json",
    ]

    store.put("state/v1/x.json", b'{"v": 2}')  # replace
    store.delete("ledger/v1/provider=gcp/a.jsonl.gz")
    store.delete("ledger/v1/provider=gcp/a.jsonl.gz")  # already gone: no error

    assert store.get("state/v1/x.json") == b'{"v": 2}'
    assert list(store.list("ledger/")) == ["ledger/v1/provider=gcp/b.jsonl.gz"]
    # The prefix isolates stores sharing a bucket.
    assert list(GcsStore("gs://ledger/other", endpoint_url=endpoint).list("")) == []


def test_errors_are_one_line_store_errors(endpoint: str) -> None:
    missing = GcsStore("gs://no-such-bucket/x", endpoint_url=endpoint)
    with pytest.raises(StoreError, match="does not exist"):
        missing.put("k", b"1")
    with pytest.raises(StoreError, match="does not exist"):
        missing.get("k")
    with pytest.raises(StoreError, match="invalid object key"):
        GcsStore("gs://ledger", endpoint_url=endpoint).put("../escape", b"1")
    with pytest.raises(StoreError, match="not a GCS location"):
        GcsStore("s3://ledger/x")


def test_unreachable_endpoint_is_a_store_error() -> None:
    store = GcsStore("gs://ledger/x", endpoint_url="http://127.0.0.1:9")
    store.retry_timeout = 0.5
    with pytest.raises(StoreError) as caught:
        store.put("k", b"1")
    assert "\n" not in str(caught.value) and "gs://ledger/x/k" in str(caught.value)
    with pytest.raises(StoreError):
        store.get("k")


def test_registry_builds_the_store() -> None:
    store = load(STORES["gs"])("gs://bucket/prefix", endpoint_url="http://127.0.0.1:1")
    assert isinstance(store, GcsStore) and store.url == "gs://bucket/prefix"
