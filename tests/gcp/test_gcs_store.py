"""GcsStore against the real gcp-storage-emulator (started per module), and through a
front that adds what the emulator lacks: generation preconditions and injected errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from gcs_front import GcsFront

from providers import STORES, load
from providers.gcp.gcs_store import GcsStore
from providers.store import ABSENT, Conflict, StoreError
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


@pytest.fixture(scope="module")
def front(endpoint: str) -> Iterator[GcsFront]:
    with GcsFront(endpoint) as running:
        yield running


@pytest.fixture
def cas(front: GcsFront, request: pytest.FixtureRequest) -> Iterator[GcsStore]:
    front.clear()
    yield GcsStore(f"gs://ledger/{request.node.name}", endpoint_url=front.url)
    front.clear()


def test_conditional_writes_conflict_as_the_service_does(cas: GcsStore) -> None:
    first = cas.put_if("state.json", b"first", ABSENT)
    with pytest.raises(Conflict, match=r"state.json changed"):
        cas.put_if("state.json", b"second", ABSENT)
    newer = cas.put_if("state.json", b"two", first)
    with pytest.raises(Conflict):
        cas.put_if("state.json", b"stale writer", first)

    read = cas.read("state.json")
    assert (read.data, read.version) == (b"two", newer) and newer != first


def test_conditional_write_to_a_missing_bucket(front: GcsFront) -> None:
    store = GcsStore("gs://no-such-bucket/x", endpoint_url=front.url)

    with pytest.raises(StoreError, match="bucket gs://no-such-bucket does not exist"):
        store.put_if("k", b"1", ABSENT)


def test_refused_calls_are_one_line_store_errors_and_change_nothing(
    cas: GcsStore, front: GcsFront
) -> None:
    cas.put("kept.json", b"kept")
    front.fail("/upload/", 403, times=2)
    for write in (lambda: cas.put("kept.json", b"lost"), lambda: cas.put_if("k", b"1", ABSENT)):
        with pytest.raises(StoreError, match=r"^cannot write gs://ledger/.*injected 403"):
            write()
    front.fail("kept.json", 403, method="GET")
    with pytest.raises(StoreError, match=r"^cannot read .*kept.json: .*injected 403"):
        cas.read("kept.json")
    front.fail("kept.json", 403, method="DELETE")
    with pytest.raises(StoreError, match=r"^cannot delete .*kept.json"):
        cas.delete("kept.json")
    front.fail("/b/ledger/o", 403, method="GET")
    with pytest.raises(StoreError, match=r"^cannot list"):
        list(cas.list(""))

    assert cas.get("kept.json") == b"kept" and list(cas.list("")) == ["kept.json"]


def test_a_missing_object_in_a_bucket_that_cannot_be_checked(
    cas: GcsStore, front: GcsFront
) -> None:
    # 404 for the object, then 403 for the bucket (no storage.buckets.get): the store
    # cannot tell "absent" from "no bucket", and says so rather than guessing.
    # Every time: the client library sometimes sends this check twice.
    front.fail("/storage/v1/b/ledger?fields=name", 403, method="GET", times=5)

    with pytest.raises(StoreError, match=r"^cannot read .*missing.json: .*injected 403"):
        cas.read("missing.json")


def test_without_an_endpoint_the_store_uses_application_default_credentials(
    fake: Any,
) -> None:
    # The fixture pointed GOOGLE_APPLICATION_CREDENTIALS at the fake's service account.
    bucket = GcsStore("gs://ledger/offhours")._bucket()

    assert bucket.name == "ledger" and bucket.client.project == "offhours-local"
    assert fake.requests == []  # building the client calls nothing
