"""Compare-and-swap writes (``read`` + ``put_if``) on every object store, against the
real thing where one runs here: a local directory, S3 in a moto server over HTTP,
Azure Blob in Azurite, GCS in gcp-storage-emulator.

The GCS emulator ignores ``ifGenerationMatch`` (FIELD-NOTES), so for GCS only the round
trip is checked against it; the conflict path of ``GcsStore`` is checked against the
library's own PreconditionFailed, raised where the real service answers 412.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from providers.store import ABSENT, Conflict, LocalStore, ObjectStore
from sandbox.moto_server import FAKE_ENV, moto_server

KEY = "state/v1/provider=aws/account=1/region=eu-west-1/run-state.json"


@pytest.fixture(scope="module")
def s3_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


def _local(tmp_path: Any, _: Any) -> ObjectStore:
    return LocalStore(tmp_path / "ledger")


def _s3(tmp_path: Any, request: pytest.FixtureRequest) -> ObjectStore:
    import boto3

    from providers.aws.s3_store import S3Store

    url = request.getfixturevalue("s3_url")
    bucket = f"cas-{abs(hash(request.node.name)) % 10**8}"
    client = boto3.client(
        "s3",
        endpoint_url=url,
        region_name="eu-west-1",
        aws_access_key_id=FAKE_ENV["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_ENV["AWS_SECRET_ACCESS_KEY"],
    )
    client.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    return S3Store(f"s3://{bucket}/offhours", client=client)


def _azure(tmp_path: Any, request: pytest.FixtureRequest) -> ObjectStore:
    from providers.azure.blob_store import BlobStore
    from sandbox.azurite import azurite_installed

    if not azurite_installed():
        pytest.skip("Azurite is not installed: run `npm ci`")
    endpoint = request.getfixturevalue("azurite_url")
    container = f"cas-{abs(hash(request.node.name)) % 10**8}"
    store = BlobStore(f"azblob://devstoreaccount1/{container}/x", endpoint)
    store.ensure_container()
    return store


@pytest.fixture(scope="module")
def azurite_url() -> Iterator[str]:
    from sandbox.azurite import start_azurite

    with start_azurite() as url:
        yield url


STORES: dict[str, Callable[[Any, pytest.FixtureRequest], ObjectStore]] = {
    "local": _local,
    "s3": _s3,
    "azure-blob": _azure,
}


@pytest.fixture(params=sorted(STORES))
def store(request: pytest.FixtureRequest, tmp_path: Any) -> ObjectStore:
    return STORES[request.param](tmp_path, request)


def test_create_only_once(store: ObjectStore) -> None:
    assert store.read(KEY).data is None
    first = store.put_if(KEY, b"first", ABSENT)
    assert store.read(KEY).data == b"first"
    with pytest.raises(Conflict):
        store.put_if(KEY, b"second", ABSENT)
    assert store.read(KEY).version == first


def test_replace_only_the_version_read(store: ObjectStore) -> None:
    version = store.put_if(KEY, b"one", ABSENT)
    newer = store.put_if(KEY, b"two", version)
    assert newer != version
    with pytest.raises(Conflict):
        store.put_if(KEY, b"stale writer", version)  # wrote against what it read before
    read = store.read(KEY)
    assert (read.data, read.version) == (b"two", newer)


def test_racing_writers_one_wins_each_round(store: ObjectStore) -> None:
    """Eight threads increment a counter by compare-and-swap: no increment is lost."""
    store.put_if(KEY, b"0", ABSENT)

    def increment(times: int) -> None:
        for _ in range(times):
            while True:
                read = store.read(KEY)
                assert read.data is not None
                try:
                    store.put_if(KEY, str(int(read.data) + 1).encode(), read.version)
                    break
                except Conflict:
                    continue

    threads = [threading.Thread(target=increment, args=(5,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.read(KEY).data == b"40"


def test_gcs_round_trip_against_the_emulator(tmp_path: Any) -> None:
    from sandbox.gcs_emulator import emulator_binary, start_gcs_emulator

    if emulator_binary() is None:
        pytest.skip("gcp-storage-emulator is not installed")
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    from providers.gcp.gcs_store import GcsStore

    with start_gcs_emulator() as url:
        client = storage.Client(
            project="t", credentials=AnonymousCredentials(), client_options={"api_endpoint": url}
        )
        client.create_bucket("cas")
        store = GcsStore("gs://cas/offhours", endpoint_url=url)
        version = store.put_if(KEY, b"one", ABSENT)
        assert version and store.read(KEY).data == b"one"
        newer = store.put_if(KEY, b"two", store.read(KEY).version)
        assert store.read(KEY).data == b"two" and newer


def test_gcs_lost_race_is_a_conflict(monkeypatch: pytest.MonkeyPatch) -> None:
    """The service answers 412 to a stale ``ifGenerationMatch``; the client library
    raises PreconditionFailed for it, and the store turns that into Conflict."""
    from google.api_core.exceptions import PreconditionFailed

    from providers.gcp.gcs_store import GcsStore

    sent: list[int] = []

    class Blob:
        generation = None

        def upload_from_string(self, data: bytes, if_generation_match: int, **_: Any) -> None:
            sent.append(if_generation_match)
            raise PreconditionFailed("conditionNotMet")

    class Bucket:
        def blob(self, name: str) -> Blob:
            return Blob()

    store = GcsStore("gs://cas/offhours")
    monkeypatch.setattr(store, "_bucket", Bucket)
    with pytest.raises(Conflict):
        store.put_if(KEY, b"x", "1234")
    with pytest.raises(Conflict):
        store.put_if(KEY, b"x", ABSENT)
    assert sent == [1234, 0]  # the generation read, and 0 for "must not exist"
