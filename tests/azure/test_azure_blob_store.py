"""The Azure Blob object store against real Azurite."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator

import pytest

from providers.azure.blob_store import BlobStore
from providers.store import ABSENT, Conflict, StoreError
from sandbox.azurite import BINARY, azurite_installed, start_azurite

pytestmark = pytest.mark.skipif(
    not azurite_installed(), reason=f"Azurite is not installed ({BINARY}): run `npm install`"
)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with start_azurite() as url:
        yield url


@pytest.fixture
def store(endpoint: str, request: pytest.FixtureRequest) -> BlobStore:
    container = request.node.name.replace("_", "-").lower()[:60]
    blob_store = BlobStore(f"azblob://devstoreaccount1/{container}/offhours", endpoint_url=endpoint)
    blob_store.ensure_container()
    blob_store.ensure_container()  # idempotent
    return blob_store


def test_put_get_list_delete(store):
    store.put("ledger/v1/provider=azure/date=2026-11-25/run.jsonl.gz", b"one")
    store.put("ledger/v1/provider=azure/date=2026-11-24/run.jsonl.gz", b"two")
    store.put("state/v1/x.json", b"{}")
    store.put("state/v1/x.json", b'{"v": 2}')  # overwrite
    assert store.get("state/v1/x.json") == b'{"v": 2}'
    assert store.get("missing/key") is None
    assert list(store.list("ledger/")) == [
        "ledger/v1/provider=azure/date=2026-11-24/run.jsonl.gz",
        "ledger/v1/provider=azure/date=2026-11-25/run.jsonl.gz",
    ]
    assert len(list(store.list(""))) == 3
    store.delete("state/v1/x.json")
    store.delete("state/v1/x.json")  # already gone: no error
    assert store.get("state/v1/x.json") is None


def test_prefix_isolates_stores_in_one_container(endpoint):
    a = BlobStore("azblob://devstoreaccount1/shared/a", endpoint_url=endpoint)
    b = BlobStore("azblob://devstoreaccount1/shared/b", endpoint_url=endpoint)
    a.ensure_container()
    a.put("k", b"a")
    b.put("k", b"b")
    assert (a.get("k"), b.get("k")) == (b"a", b"b")
    assert list(a.list("")) == ["k"]


def test_missing_container_is_a_one_line_store_error(endpoint):
    store = BlobStore("azblob://devstoreaccount1/nowhere", endpoint_url=endpoint)
    with pytest.raises(StoreError) as err:
        store.put("k", b"x")
    assert "ContainerNotFound" in str(err.value) and "\n" not in str(err.value)
    with pytest.raises(StoreError):
        store.get("k")
    with pytest.raises(StoreError):
        list(store.list(""))


@pytest.mark.parametrize(
    "url", ["s3://bucket/x", "azblob://account", "azblob:///container", "https://a/b/c"]
)
def test_bad_urls_are_store_errors(url):
    with pytest.raises(StoreError):
        BlobStore(url, endpoint_url="http://127.0.0.1:1")


def test_bad_keys_are_store_errors(store):
    for key in ("", "/abs", "a//b", "a/../b"):
        with pytest.raises(StoreError):
            store.put(key, b"x")


def test_no_credential_is_a_store_error_not_a_minute_of_retries(monkeypatch):
    # Without this check the blob client retries the credential's failure with a 15 s
    # backoff (about 90 s) before it says anything.
    for name in [n for n in os.environ if n.startswith(("AZURE_", "IDENTITY_", "MSI_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PATH", "/nonexistent")  # no az / azd / pwsh to ask
    with pytest.raises(StoreError, match=r"no Azure credential for azblob://acct"):
        BlobStore("azblob://acct/ledger/offhours")


def test_conditional_writes_conflict_and_keep_the_winner(store):
    first = store.put_if("state.json", b"first", ABSENT)
    with pytest.raises(Conflict):
        store.put_if("state.json", b"second", ABSENT)
    newer = store.put_if("state.json", b"two", first)
    with pytest.raises(Conflict):
        store.put_if("state.json", b"stale writer", first)

    read = store.read("state.json")
    assert (read.data, read.version) == (b"two", newer) and newer != first


def test_deleting_in_a_missing_container_is_a_store_error(endpoint):
    store = BlobStore("azblob://devstoreaccount1/never-created/x", endpoint_url=endpoint)

    with pytest.raises(StoreError, match="ContainerNotFound"):
        store.delete("k")


def test_a_refused_key_fails_every_call_in_one_line(store, endpoint):
    from azure.storage.blob import BlobServiceClient

    store.put("kept.json", b"kept")
    wrong = (
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
        f"AccountKey={base64.b64encode(b'not the key').decode()};"
        f"BlobEndpoint={endpoint}/devstoreaccount1;"
    )
    service = BlobServiceClient.from_connection_string(wrong)
    refused = BlobStore(store.url, service=service)
    calls = {
        "create container": refused.ensure_container,
        "read offhours/kept.json": lambda: refused.read("kept.json"),
        "write offhours/kept.json": lambda: refused.put_if("kept.json", b"lost", ABSENT),
        "delete offhours/kept.json": lambda: refused.delete("kept.json"),
    }
    for what, call in calls.items():
        with pytest.raises(
            StoreError, match=rf"^cannot {what} in azblob://devstoreaccount1/\S+: \S+: "
        ) as err:
            call()
        assert "\n" not in str(err.value)

    assert store.get("kept.json") == b"kept"


def test_without_an_endpoint_the_store_uses_the_default_credential(monkeypatch):
    from sandbox.azure_fake import start_azure_fake

    with start_azure_fake() as fake:
        for name, value in fake.credential_env().items():
            monkeypatch.setenv(name, value)
        store = BlobStore("azblob://acct/ledger/offhours")
        assert store.container.url == "https://acct.blob.core.windows.net/ledger"

        monkeypatch.setenv("AZURE_CLIENT_SECRET", "not-the-secret")
        with pytest.raises(StoreError, match=r"no Azure credential for azblob://acct: .*"):
            BlobStore("azblob://acct/ledger/offhours")
