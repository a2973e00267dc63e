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

Timestamps are parsed with ``datetime.fromisoformat`` (botocore's default goes through
dateutil, about a third of the time spent parsing a large DescribeInstances answer);
they stay zone-aware.
"""

from __future__ import annotations

import copy
import threading
from datetime import UTC, datetime
from typing import Any

import botocore.retryhandler
import botocore.translate
from botocore.client import ClientCreator
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

    @property
    def usable(self) -> bool:
        return all(hasattr(self.session, name) for name in _INTERNALS)

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
        # One at a time: creation is CPU-bound (the lock costs nothing under the GIL) and
        # the creators' caches are then filled once.
        with self._lock:
            creator = self._creator(service)
            return creator.create_client(
                service_name=service,
                region_name=region or self.session.get_config_variable("region"),
                is_secure=True,
                endpoint_url=endpoint_url or None,
                verify=self.session.get_config_variable("ca_bundle"),
                credentials=credentials,
                scoped_config=self.session.get_scoped_config(),
                client_config=config,
            )

    def _creator(self, service: str) -> Any:
        creator = self._creators.get(service)
        if creator is None:
            creator = self._creators[service] = self._new_creator(service)
        return creator

    def _new_creator(self, service: str) -> Any:
        session = self.session
        config_store = copy.copy(session.get_component("config_store"))
        session._add_configured_endpoint_provider(client_name=service, config_store=config_store)
        return _KeepingCreator(
            session.get_component("data_loader"),
            session._get_internal_component("endpoint_resolver"),
            session.user_agent(),
            session.get_component("event_emitter"),
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
