"""The meter counts one request per store call, and one LIST per page the store's API
returns: S3 ListObjectsV2 returns at most 1,000 keys a request (Amazon S3 API Reference,
ListObjectsV2 ``MaxKeys``), Azure List Blobs at most 5,000 (Blob service REST API,
``maxresults``). Checked against the requests moto's S3 really answered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from providers.aws.s3_store import S3Store
from providers.azure.blob_store import BlobStore
from providers.metering import Meter, MeteredStore, metered
from providers.store import ABSENT, Conflict, LocalStore


@pytest.mark.parametrize(("keys", "lists"), [(0, 1), (1, 1), (2, 1), (3, 2), (4, 2), (5, 3)])
def test_one_list_per_page(tmp_path: Path, keys: int, lists: int) -> None:
    store = LocalStore(tmp_path)
    for n in range(keys):
        store.put(f"runs/{n}.json", b"{}")
    store.list_page = 2  # type: ignore[attr-defined]
    meter = Meter()
    assert len(list(MeteredStore(store, meter).list("runs/"))) == keys
    assert meter.counts() == {"store_lists": lists}


def test_each_call_is_one_request_a_lost_race_too(tmp_path: Path) -> None:
    meter = Meter()
    store = metered(LocalStore(tmp_path), meter)
    version = store.put_if("a", b"1", ABSENT)
    with pytest.raises(Conflict):
        store.put_if("a", b"2", ABSENT)
    store.put("b", b"1")
    assert store.get("a") == b"1"
    assert store.read("a").version == version
    store.delete("b")
    assert meter.counts() == {"store_deletes": 1, "store_reads": 2, "store_writes": 3}
    assert metered(store, None) is store


def test_azure_pages_are_five_thousand_names() -> None:
    assert BlobStore.list_page == 5000


@mock_aws
def test_s3_list_pages_are_the_requests_s3_answered() -> None:
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket="ledger")
    for n in range(1001):
        client.put_object(Bucket="ledger", Key=f"p/runs/{n:04d}", Body=b"")
    sent: list[Any] = []
    client.meta.events.register("after-call.s3.ListObjectsV2", lambda **kw: sent.append(kw))
    meter = Meter()
    keys = list(MeteredStore(S3Store("s3://ledger/p", client=client), meter).list("runs/"))
    assert len(keys) == 1001
    assert meter.counts()["store_lists"] == len(sent) == 2
