"""Every cloud's connection is the whole ``providers.base.Connection``: the job sets its
``budget``, asks its ``targets()``, and ``release``s each finished target through plain
attributes, with no ``getattr``/``isinstance`` probing. mypy holds each connection class to
the protocol (``_CHECKED`` in each ``providers/<cloud>/connection.py``); this checks the
same members at run time, from the protocol itself, so a member added to the protocol is
checked here without editing the test."""

from __future__ import annotations

import inspect

import pytest

import providers
from providers.base import Connection, ProviderConfig, Target


def protocol_members() -> set[str]:
    methods = {
        name
        for name, value in vars(Connection).items()
        if inspect.isfunction(value) and not name.startswith("_")
    }
    return methods | set(Connection.__annotations__)


def test_the_protocol_names_everything_the_job_uses() -> None:
    assert protocol_members() == {"provider", "budget", "targets", "deadline", "release"}


@pytest.mark.parametrize("cloud", providers.clouds())
def test_each_clouds_connection_has_every_member(cloud: str) -> None:
    """Built through the registry as the job builds it; nothing is called on the cloud."""
    connection = providers.load(providers.CONNECTIONS[cloud])(ProviderConfig())
    missing = sorted(m for m in protocol_members() if not hasattr(connection, m))
    assert missing == [], f"{type(connection).__name__} lacks {missing}"
    assert connection.provider == cloud and connection.budget is None


class Credential:
    """What the Azure SDK asks of a credential (no call is made here)."""

    def get_token(self, *scopes: str, **kwargs: object) -> object:
        raise AssertionError("no token is needed to build a client")


def test_azure_release_forgets_the_finished_subscriptions_client() -> None:
    from providers.azure.connection import AzureConnection

    connection = AzureConnection(ProviderConfig(), credential=Credential())
    done, busy = connection.compute("sub-done"), connection.compute("sub-busy")
    assert connection.compute("sub-done") is done  # kept while the target is in use
    connection.release(Target("azure", "sub-done"))
    assert connection.compute("sub-busy") is busy
    assert connection.compute("sub-done") is not done  # made again if asked for later
