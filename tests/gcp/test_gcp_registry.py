"""The registry's GCP entries: every kind loads and honours the adapter contract."""

from __future__ import annotations

import inspect
import sys
from typing import Any

import pytest

from providers import CONNECTIONS, KINDS, STORES, load
from providers.base import AdapterOptions, ProviderConfig


def test_every_gcp_kind_is_a_contract_adapter(clock: Any) -> None:
    connection = load(CONNECTIONS["gcp"])(ProviderConfig(accounts=("p",), endpoint_url="http://x"))
    assert set(KINDS["gcp"]) == {"instances", "instance-groups", "workbench", "vertex-endpoints"}
    for kind, path in KINDS["gcp"].items():
        cls = load(path)
        assert cls.kind == kind
        assert isinstance(cls.permissions, tuple) and cls.permissions
        assert list(inspect.signature(cls.__init__).parameters) == ["self", "connection", "options"]
        adapter = cls(connection, AdapterOptions(clock=clock))
        assert callable(adapter.discover) and callable(adapter.apply)
    assert connection._clients == {}  # building adapters creates no SDK client
    assert STORES["gs"].startswith("providers.gcp.")


def test_caller_errors_name_the_google_auth_errors_and_none_without_the_sdk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from google.auth import exceptions

    from providers.gcp.errors import caller_errors

    errors = caller_errors()
    assert errors[exceptions.DefaultCredentialsError].usage
    assert not errors[exceptions.RefreshError].usage

    monkeypatch.setitem(sys.modules, "google.auth", None)  # an install without the GCP extra
    assert caller_errors() == {}
