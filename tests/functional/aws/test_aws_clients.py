"""Clients from one session (providers/aws/clients.py) behave as botocore's own: the
same hooks for every event of their service, hooks registered on the session later
still reach new clients, no proxy unless the environment names one; and a connection's
clients are made only when used."""

from __future__ import annotations

import functools
from collections import Counter
from typing import Any

import pytest
from aws_kit import REGION

from providers.aws.clients import ClientFactory
from providers.aws.connection import connect
from providers.base import ProviderConfig, Target
from sandbox.aws_fleet import Box, launch

SERVICES = (
    "ec2",
    "rds",
    "sagemaker",
    "ecs",
    "autoscaling",
    "resourcegroupstaggingapi",
    "sts",
    "s3",
    "cloudwatch",
)


def _session() -> Any:
    import boto3

    return boto3.Session(region_name=REGION, aws_access_key_id="a", aws_secret_access_key="b")


def _credentials() -> Any:
    from botocore.credentials import Credentials

    return Credentials("a", "b")


def _name(handler: Any) -> str:
    """A handler by what it runs (bound methods and partials are new objects per client)."""
    while isinstance(handler, functools.partial):
        handler = handler.func
    func = getattr(handler, "__func__", handler)
    qualname = getattr(func, "__qualname__", type(func).__qualname__)
    return f"{getattr(func, '__module__', '')}.{qualname}"


def _handlers(client: Any, event: str) -> list[str]:
    emitter = client.meta.events._emitter
    return [_name(h) for h in emitter._handlers.prefix_search(event)]


@pytest.mark.parametrize("service", SERVICES)
def test_a_client_has_the_hooks_botocore_gives_it_for_every_event_of_its_service(
    service: str,
) -> None:
    session = _session()
    factory = ClientFactory(session._session)
    assert factory.usable and factory.prunable
    ours = factory.client(service, REGION, _credentials(), "", None)
    stock = session.client(service, region_name=REGION)
    service_id = stock.meta.service_model.service_id.hyphenize()
    events = session._session.get_component("event_emitter")._emitter._handlers._root
    operations = stock.meta.service_model.operation_names[:30]  # a sample keeps it fast
    for event in events["children"]:
        for operation in (None, *operations):
            name = f"{event}.{service_id}" + (f".{operation}" if operation else "")
            assert _handlers(ours, name) == _handlers(stock, name), name


def test_hooks_registered_on_the_session_later_reach_the_next_client(aws: None) -> None:
    session = _session()
    factory = ClientFactory(session._session)
    factory.client("ec2", REGION, _credentials(), "", None)  # the service's creator exists
    calls: Counter[str] = Counter()
    session.events.register("before-call.ec2", lambda model, **_: calls.update([model.name]))
    later = factory.client("ec2", REGION, _credentials(), "", None)
    later.describe_instances()
    assert calls == Counter({"DescribeInstances": 1})


def test_no_proxy_is_looked_up_unless_the_environment_names_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    plain = ClientFactory(_session()._session).client("ec2", REGION, _credentials(), "", None)
    assert plain.meta.config.proxies == {}
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    proxied = ClientFactory(_session()._session).client("ec2", REGION, _credentials(), "", None)
    assert proxied.meta.config.proxies is None  # botocore reads the environment, as usual


def test_a_connection_makes_a_client_only_when_it_is_used(aws: None) -> None:
    import boto3

    launch(boto3.client("ec2", region_name=REGION), Box("box-1", "t3.micro", {"schedule": "x"}))
    connection = connect(ProviderConfig())
    target = Target("aws", connection.account_id(), REGION)
    unused = connection.client("rds", target)
    ec2 = connection.client("ec2", target)
    reservations = ec2.describe_instances()["Reservations"]
    assert [i["InstanceType"] for r in reservations for i in r["Instances"]] == ["t3.micro"]
    assert ec2.made and not unused.made
    connection.release(target)
    assert not unused.made
