"""botocore clients for many accounts and regions from one session.

``Session.create_client`` builds every client from scratch: it wraps the service's JSON
model in a new ``ServiceModel`` (whose shapes are then resolved again while parsing that
client's responses) and generates a new client class, one method per operation, which
is about half of a client's cost. A run over 850 account x region targets makes some
5,000 clients. This module is imported only when a
connection is made. Here each service gets one ``ClientCreator`` that keeps its model and
class, and each client gets only what is its own: region, credentials, endpoint, HTTP
pool.

The creators are built from the session's own components (loader, endpoint resolver,
event hooks, config store), as ``Session.create_client`` builds them, so hooks
registered on the session and ``AWS_ENDPOINT_URL_*`` settings apply to every client.
They reach into botocore internals: ``ClientFactory.usable`` says whether this botocore
has them, and when it does not, clients come from ``Session.create_client`` as before.

Per client, botocore also copies the session's whole event-hook tree (some 400 nodes,
handlers for every service), re-reads each configuration variable from the environment
and the config file several times, checks every handler it registers with
``inspect``, and re-aliases every event name. Here the copy keeps only the branches
events of the client's service can reach (events are named ``<event>.<service>.<op>``),
a service's configuration is read once when its creator is made, and handler checks and
aliases are remembered. Hooks registered on the session still reach every client made
after them: the tree is pruned from the session's live one at each copy.

Clients of one endpoint host share one HTTP connection pool: the clients of every
member account in a region talk to the same ``ec2.<region>.amazonaws.com``, and a pool
per client opened (and, on AWS, TLS-negotiated) a new connection for every target.
Requests are signed per client, so sharing the pool shares no credentials; a shared pool
stays open when one of its clients is closed.

Timestamps are parsed with ``datetime.fromisoformat`` (botocore's default goes through
dateutil, about a third of the time spent parsing a large DescribeInstances answer);
they stay zone-aware.
"""

from __future__ import annotations

import copy
import threading
import types
import urllib.request
from datetime import UTC, datetime
from typing import Any

import botocore.retryhandler
import botocore.translate
from botocore.client import ClientCreator
from botocore.exceptions import BotoCoreError
from botocore.hooks import EventAliaser, HierarchicalEmitter, _PrefixTrie
from botocore.parsers import ResponseParserFactory
from botocore.utils import parse_timestamp as botocore_parse_timestamp

_INTERNALS = ("_get_internal_component", "_add_configured_endpoint_provider", "get_scoped_config")


def parse_timestamp(value: Any) -> datetime:
    """A response timestamp as a zone-aware datetime: ISO 8601 (XML and most JSON
    services), epoch seconds (JSON protocols), anything else through botocore's own."""
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] in "T ":
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    slow: datetime = botocore_parse_timestamp(value)
    return slow


class ClientFactory:
    """Clients of one botocore session with per-client credentials and region."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self._creators: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._parsers: Any = None
        self._no_proxies: bool | None = None
        self._pools: dict[str, _SharedPool] = {}

    @property
    def usable(self) -> bool:
        return all(hasattr(self.session, name) for name in _INTERNALS)

    @property
    def prunable(self) -> bool:
        """Whether the session's hooks have the shape ``_ServiceEvents`` prunes."""
        events = self.session.get_component("event_emitter")
        inner: Any = getattr(events, "_emitter", None)
        trie: Any = getattr(inner, "_handlers", None)
        return (
            type(events) is EventAliaser
            and type(inner) is HierarchicalEmitter
            and isinstance(trie, _PrefixTrie)
            and isinstance(getattr(trie, "_root", None), dict)
        )

    def client(
        self, service: str, region: str, credentials: Any, endpoint_url: str, config: Any
    ) -> Any:
        if not self.usable:
            frozen = credentials.get_frozen_credentials()
            return self.session.create_client(
                service,
                region_name=region or None,
                endpoint_url=endpoint_url or None,
                aws_access_key_id=frozen.access_key,
                aws_secret_access_key=frozen.secret_key,
                aws_session_token=frozen.token,
                config=config,
            )
        config = self._without_proxy_lookup(config)
        # One at a time: creation is CPU-bound (the lock costs nothing under the GIL) and
        # the creators' caches are then filled once.
        with self._lock:
            creator = self._creator(service)
            client = creator.create_client(
                service_name=service,
                region_name=region or self.session.get_config_variable("region"),
                is_secure=True,
                endpoint_url=endpoint_url or None,
                verify=self.session.get_config_variable("ca_bundle"),
                credentials=credentials,
                scoped_config=self.session.get_scoped_config(),
                client_config=config,
            )
            self._share_pool(client)
            return client

    def _share_pool(self, client: Any) -> None:
        """Give ``client`` the pool of its endpoint host (its own, unused, is closed)."""
        endpoint: Any = getattr(client, "_endpoint", None)
        session = getattr(endpoint, "http_session", None)
        if session is None or not hasattr(session, "send"):
            return  # not the botocore this was written for: the client keeps its own
        key = f"{endpoint.host}|{client.meta.config.max_pool_connections}"
        shared = self._pools.get(key)
        if shared is None:
            shared = self._pools[key] = _SharedPool(session)
        else:
            session.close()
        endpoint.http_session = shared

    def _without_proxy_lookup(self, config: Any) -> Any:
        """With no proxy in the environment, say so (``proxies={}``): unset, botocore
        scans the whole environment twice per client to find none."""
        if self._no_proxies is None:
            self._no_proxies = not any(k != "no" for k in urllib.request.getproxies())
        if not self._no_proxies or (config is not None and config.proxies is not None):
            return config
        from botocore.config import Config

        empty = Config(proxies={})
        return empty if config is None else config.merge(empty)

    def _creator(self, service: str) -> Any:
        creator = self._creators.get(service)
        if creator is None:
            creator = self._creators[service] = self._new_creator(service)
        return creator

    def _new_creator(self, service: str) -> Any:
        session = self.session
        config_store = copy.copy(session.get_component("config_store"))
        session._add_configured_endpoint_provider(client_name=service, config_store=config_store)
        _freeze(config_store)
        events = session.get_component("event_emitter")
        if self.prunable:
            model = session.get_service_model(service)
            events = _ServiceEvents(events, model.service_id.hyphenize())
        return _KeepingCreator(
            session.get_component("data_loader"),
            session._get_internal_component("endpoint_resolver"),
            session.user_agent(),
            events,
            botocore.retryhandler,
            botocore.translate,
            self._parser_factory(),
            session._get_internal_component("exceptions_factory"),
            config_store,
            user_agent_creator=session.get_component("user_agent_creator"),
            auth_token_resolver=session.get_auth_token,
        )

    def _parser_factory(self) -> Any:
        if self._parsers is None:
            self._parsers = ResponseParserFactory()
            self._parsers.set_parser_defaults(timestamp_parser=parse_timestamp)
        return self._parsers


class _SharedPool:
    """An HTTP session that several clients send through; closing one client leaves it
    open for the others (the process's end closes it)."""

    def __init__(self, session: Any) -> None:
        self._session = session

    def send(self, request: Any) -> Any:
        return self._session.send(request)

    def close(self) -> None:
        """Kept open: other clients of the host still send through it."""


class _KeepingCreator(ClientCreator):
    """A ClientCreator for one service that builds its model and class once."""

    _model: Any = None
    _class: Any = None

    def _load_service_model(self, service_name: str, api_version: Any = None) -> Any:
        if self._model is None:
            self._model = super()._load_service_model(service_name, api_version)
        return self._model

    def _create_client_class(self, service_name: str, service_model: Any) -> Any:
        if self._class is None:
            self._class = super()._create_client_class(service_name, service_model)
        return self._class


def _freeze(config_store: Any) -> None:
    """Read each configuration variable once: botocore's providers look at the
    environment and the config file every time a client asks (dozens per client)."""
    for name in list(getattr(config_store, "_mapping", {})):
        try:
            value = config_store.get_config_variable(name)
        except (BotoCoreError, ValueError):
            continue  # left to fail, as before, when a client reads it
        config_store.set_config_variable(name, value)


class _ServiceEvents:
    """The session's event hooks as one service's client creator sees them: emitting
    goes to the session's hooks; each copy (one per client) holds only the branches
    that events named ``<event>.<service>...`` can reach."""

    def __init__(self, events: Any, service_event_name: str) -> None:
        self._events = events
        self._service = service_event_name
        self._aliases: dict[str, str] = {}

    def emit(self, event_name: str, **kwargs: Any) -> Any:
        return self._events.emit(event_name, **kwargs)

    def emit_until_response(self, event_name: str, **kwargs: Any) -> Any:
        return self._events.emit_until_response(event_name, **kwargs)

    def __copy__(self) -> Any:
        source = self._events._emitter
        emitter = _Emitter()
        state = source.__dict__.copy()
        state["_lookup_cache"] = {}
        state["_unique_id_handlers"] = copy.copy(source._unique_id_handlers)
        trie = _PrefixTrie()
        trie._root = _pruned(source._handlers, self._service)
        state["_handlers"] = trie
        emitter.__dict__ = state
        return _Aliaser(emitter, copy.copy(self._events._event_aliases), self._aliases)


def _pruned(trie: Any, service: str) -> dict[str, Any]:
    root = trie._root
    pruned: dict[str, Any] = {**root, "values": copy.copy(root["values"]), "children": {}}
    for name, event in root["children"].items():
        if name == "*":
            pruned["children"][name] = trie._recursive_copy(event)
            continue
        kept = {
            key: trie._recursive_copy(node)
            for key, node in event["children"].items()
            if key in (service, "*")
        }
        pruned["children"][name] = {**event, "values": copy.copy(event["values"]), "children": kept}
    return pruned


# Functions known to take ``**kwargs``: botocore checks each handler with ``inspect``
# every time it is registered, a dozen times per client.
_ACCEPTS_KWARGS: set[Any] = set()


class _Emitter(HierarchicalEmitter):
    def _verify_accept_kwargs(self, func: Any) -> Any:
        key = getattr(func, "__func__", func)
        if key in _ACCEPTS_KWARGS:
            return None
        checked = super()._verify_accept_kwargs(func)
        if isinstance(key, types.FunctionType):
            _ACCEPTS_KWARGS.add(key)  # reached only when the check passed
        return checked


class _Aliaser(EventAliaser):
    """An EventAliaser whose copies share one cache of aliased names (the aliases are
    the same for every client of a service)."""

    def __init__(self, emitter: Any, aliases: Any, cache: dict[str, str]) -> None:
        super().__init__(emitter, aliases)
        self._alias_name_cache = cache

    def __copy__(self) -> Any:
        return _Aliaser(copy.copy(self._emitter), self._event_aliases, self._alias_name_cache)
