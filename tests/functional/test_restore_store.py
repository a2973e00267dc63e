"""The restore store (``providers/restore.py``) on a real local object store: one format and
one place, written and read back, the same refusal when nothing is there."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from providers.apply import Refused
from providers.base import Resource, ResourceState, Target, state_key
from providers.restore import RestoreStore
from providers.store import LocalStore, StoreError, StoreUnavailable

NOW = datetime(2026, 12, 1, 19, 5, tzinfo=UTC)


def group(name: str = "web/blue", kind: str = "asg") -> Resource:
    return Resource("aws", "1234", "eu-west-1", kind, name, name, {}, ResourceState.RUNNING)


def test_one_format_under_one_prefix_read_back(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    restore = RestoreStore(store)
    web = group()

    restore.save(web, {"min": 1, "desired": 3, "max": 5}, NOW)

    key = "state/v1/provider=aws/account=1234/region=eu-west-1/kind=asg/web~2fblue/restore.json"
    assert restore.key(web) == key
    assert json.loads(store.get(key) or b"") == {
        "version": 1,
        "resource": web.key,
        "saved_at": NOW.isoformat(),
        "data": {"min": 1, "desired": 3, "max": 5},
    }
    assert restore.require(web) == {"min": 1, "desired": 3, "max": 5}
    restore.forget(web)
    assert restore.load(web) is None


def test_a_save_that_cannot_be_confirmed_is_refused(tmp_path: Path) -> None:
    class Unavailable(LocalStore):
        def put(self, key: str, data: bytes) -> None:
            raise StoreUnavailable("503 Slow Down")

    class Forgetful(LocalStore):
        def get(self, key: str) -> bytes | None:
            return None

    with pytest.raises(Refused, match=r"could not be saved \(503 Slow Down\): left as it is"):
        RestoreStore(Unavailable(tmp_path / "a")).save(group(), {"desired": 2}, NOW)
    with pytest.raises(Refused, match="did not read back as written"):
        RestoreStore(Forgetful(tmp_path / "b")).save(group(), {"desired": 2}, NOW)
    with pytest.raises(Refused, match="no state store configured"):
        RestoreStore(None).save(group(), {"desired": 2}, NOW)


def test_nothing_or_nothing_readable_is_the_same_refusal(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    restore = RestoreStore(store)
    web = group()
    with pytest.raises(Refused, match=r"^no saved size to restore"):
        restore.require(web)
    for bad in (b"{not json", b"[1, 2]", b'{"version": 9, "data": {}}'):
        store.put(restore.key(web), bad)
        with pytest.raises(Refused, match=r"^no saved size to restore"):
            restore.require(web)
    with pytest.raises(Refused, match=r"^no saved size to restore.*no state store"):
        RestoreStore(None).require(web)
    with pytest.raises(StoreError):
        RestoreStore(None).forget(web)


def test_every_saved_object_of_a_kind_once(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    restore = RestoreStore(store)
    target = Target("aws", "1234", "eu-west-1")
    old, new = (group(n, "sagemaker-endpoints") for n in ("old", "new"))
    restore.save(old, {"endpoint_name": "old"}, NOW)
    restore.save(new, {"endpoint_name": "new"}, NOW)
    store.put(state_key(new, "notes.txt"), b"not a restore object")
    store.put(state_key(new, "endpoint.json"), b'{"endpoint_name": "not read"}')
    restore.save(group("x", "asg"), {"desired": 1}, NOW)  # another kind

    found = sorted(restore.saved_for_kind(target, "sagemaker-endpoints"), key=str)
    assert found == [{"endpoint_name": "new"}, {"endpoint_name": "old"}]
    assert list(RestoreStore(None).saved_for_kind(target, "sagemaker-endpoints")) == []
