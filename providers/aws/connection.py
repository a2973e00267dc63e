"""Reaching AWS: one session, role assumption per member account, clients per target.

Built for a run over hundreds of account x region targets in one process:

- Every client comes from the one botocore session (``providers/aws/clients.py``): the
  service models and client classes are built once per service, each client carries its
  account's credentials and its region.
- Member accounts are entered with one ``AssumeRole`` per account, however many workers
  start on its regions at once (``OncePerKey``); the credentials refresh themselves
  before they expire. The caller's account and partition come from one
  ``GetCallerIdentity``, and role ARNs are built with that partition (``aws-cn``,
  ``aws-us-gov``, ...).
- Clients are made on first use (most kinds find nothing in most targets and never
  call) and kept per target for the targets in use: ``release(target)`` drops a
  finished target's clients, and past a bound the least recently used target's are
  dropped anyway, so memory follows the workers, not the fleet.
- The Resource Groups Tagging API is asked once per target for every tag-based kind
  (``providers/aws/tagging.py``).

Nothing here runs at import time; boto3 itself is imported when a connection is made,
so the CLI starts fast and other clouds' packages never import it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from providers.apply import Budget, Deadline, apply_deadline
from providers.aws.once import OncePerKey
from providers.aws.tagging import TagListings
from providers.base import ProviderConfig, Scope, Target

# Standard retry mode backs off on throttling and transient errors; adaptive mode adds
# client-side rate limiting, which is what a fan-out over many targets needs.
RETRIES = {"mode": "adaptive", "max_attempts": 8}
# Targets whose clients are kept at least, whatever the worker count.
MIN_KEPT_TARGETS = 32
_HOME = "home"


class AwsAccessError(Exception):
    """A target's account could not be entered (role missing, access denied, ...)."""


@dataclass(frozen=True)
class Identity:
    account: str
    partition: str


@dataclass
class AwsConnection:
    config: ProviderConfig
    session: Any  # boto3.Session: hooks registered on it reach every client
    provider: str = "aws"
    tag_listings: TagListings = field(default_factory=TagListings)
    # How long one apply waits for what AWS finishes later (an endpoint being created
    # or deleted), on a monotonic clock; the job's budget may cut it (set by the job).
    operation_timeout: float = 240.0
    budget: Budget | None = None
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _clients: OrderedDict[tuple[str, str], dict[str, Any]] = field(default_factory=OrderedDict)
    _credentials: OncePerKey[str, Any] = field(default_factory=OncePerKey)
    _identity: OncePerKey[str, Identity] = field(default_factory=OncePerKey)
    _sts: OncePerKey[str, Any] = field(default_factory=OncePerKey)
    _account_scopes: OncePerKey[str, Scope | None] = field(default_factory=OncePerKey)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _factory: Any = None

    def client(self, service: str, target: Target) -> Any:
        """A client for ``service`` in the target's account and region (kept while the
        target is in use). It is made when first used: most kinds find nothing in most
        targets, and a client costs more CPU than a call. The account is entered now,
        so a refused role is reported here, as before the first call."""
        key = (target.account, target.region)
        credentials = self._credentials_for(target.account)
        with self._lock:
            kept = self._clients.get(key)
            if kept is None:
                kept = self._clients[key] = {}
            self._clients.move_to_end(key)
            made = kept.get(service)
            if made is None:
                made = kept[service] = LazyClient(
                    lambda: self._make(service, target.region, credentials)
                )
            while len(self._clients) > self._kept_targets():
                self._clients.popitem(last=False)
            return made

    def deadline(self) -> Deadline:
        """One apply's deadline, starting now."""
        return apply_deadline(self.operation_timeout, self.budget, self.monotonic, self.sleep)

    def home_client(self, service: str, region: str = "us-east-1") -> Any:
        return self.client(service, Target("aws", self.account_id(), region))

    def release(self, target: Target) -> None:
        """Forget what was kept for a finished target: its clients (and their HTTP
        pools) and any tag listing it did not use."""
        with self._lock:
            kept = self._clients.pop((target.account, target.region), {})
        for client in kept.values():
            client.close()
        self.tag_listings.forget(target)

    def account_id(self) -> str:
        return self.identity().account

    def partition(self) -> str:
        return self.identity().partition

    def role_arn(self, account: str, role_name: str) -> str:
        """The ARN of a role in ``account``, in the partition this identity runs in."""
        return f"arn:{self.partition()}:iam::{account}:role/{role_name}"

    def identity(self) -> Identity:
        return self._identity.get(_HOME, self._caller_identity)

    def targets(self) -> Sequence[Target]:
        from providers.aws.targets import list_targets

        return list_targets(self)

    def account_scope(self, account: str) -> Scope | None:
        """The account's Organizations tags as a schedule scope, read once per run, when
        the accounts come from Organizations (``providers/aws/account_tags.py``)."""
        if not self.config.organization:
            return None
        from providers.aws.account_tags import read_account_scope

        return self._account_scopes.get(
            account, lambda: read_account_scope(self.home_client("organizations"), account)
        )

    def tagged(self, target: Target, resource_type: str) -> dict[str, dict[str, str]]:
        """ARN -> tags of the target's resources of ``resource_type`` that carry one of
        the tag keys registered for it (``tag_listings.want``): one listing per target
        serves every tag-based kind."""
        return self.tag_listings.tagged(
            target, resource_type, lambda: self.client("resourcegroupstaggingapi", target)
        )

    def _kept_targets(self) -> int:
        return max(MIN_KEPT_TARGETS, 4 * self.config.max_workers)

    def _make(self, service: str, region: str, credentials: Any) -> Any:
        from botocore.config import Config

        config = Config(retries=RETRIES, max_pool_connections=32)
        return self._clients_factory().client(
            service, region, credentials, self.config.endpoint_url, config
        )

    def _clients_factory(self) -> Any:
        with self._lock:
            if self._factory is None:
                from providers.aws.clients import ClientFactory

                self._factory = ClientFactory(self.session._session)
            return self._factory

    def _home_credentials(self) -> Any:
        credentials = self.session.get_credentials()
        if credentials is None:
            raise AwsAccessError("no AWS credentials found for the scheduler's own account")
        return credentials

    def _home_sts(self) -> Any:
        # Made directly, not through ``client``: entering accounts is the connection's
        # own business, not the calling adapter's.
        return self._sts.get(
            _HOME, lambda: self._make("sts", self._home_region(), self._home_credentials())
        )

    def _home_region(self) -> str:
        """Where the connection's own calls go: the session's region (AWS_DEFAULT_REGION,
        a profile), else the first region the run was given (``--region``)."""
        region: str | None = self.session.region_name
        return region or (self.config.regions[0] if self.config.regions else "us-east-1")

    def _caller_identity(self) -> Identity:
        arn = self._home_sts().get_caller_identity()["Arn"]  # arn:<partition>:sts::<account>:...
        parts = str(arn).split(":")
        return Identity(account=parts[4], partition=parts[1] or "aws")

    def _credentials_for(self, account: str) -> Any:
        if not account or not self.config.role_name or account == self.account_id():
            return self._home_credentials()
        return self._credentials.get(account, lambda: self._assume_role(account))

    def _assume_role(self, account: str) -> Any:
        from botocore.credentials import RefreshableCredentials
        from botocore.exceptions import BotoCoreError, ClientError

        arn = self.role_arn(account, self.config.role_name)
        sts = self._home_sts()

        def fetch() -> dict[str, str]:
            try:
                creds = sts.assume_role(RoleArn=arn, RoleSessionName="offhours")["Credentials"]
            except (ClientError, BotoCoreError) as err:
                raise AwsAccessError(f"cannot assume {arn}: {err}") from err
            return {
                "access_key": creds["AccessKeyId"],
                "secret_key": creds["SecretAccessKey"],
                "token": creds["SessionToken"],
                "expiry_time": creds["Expiration"].isoformat(),
            }

        return RefreshableCredentials.create_from_metadata(fetch(), fetch, "assume-role")


class LazyClient:
    """A botocore client made on first use (first attribute read); thread-safe."""

    __slots__ = ("_client", "_lock", "_make")

    def __init__(self, make: Callable[[], Any]) -> None:
        self._make = make
        self._client: Any = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._made(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in LazyClient.__slots__:
            object.__setattr__(self, name, value)
        else:  # a test's stand-in for one operation, say: it belongs to the client
            setattr(self._made(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._made(), name)

    def _made(self) -> Any:
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._make()
                client = self._client
        return client

    @property
    def made(self) -> bool:
        return self._client is not None

    def close(self) -> None:
        """Close the client's HTTP pool if it was ever made; one never made has none."""
        if self._client is not None:
            self._client.close()


def connect(config: ProviderConfig, session: Any = None) -> AwsConnection:
    return AwsConnection(config=config, session=session or _new_session())


_LOADER: list[Any] = []  # the process's botocore loader, made by the first connection


def _new_session() -> Any:
    """A boto3 session reading service models through the process's one loader: a warm
    Lambda environment serves each invocation a new connection, and the loader keeps
    the parsed models (JSON files of a megabyte and more) from one to the next."""
    import boto3
    import botocore.loaders
    import botocore.session

    core = botocore.session.Session()
    if not _LOADER:
        _LOADER.append(botocore.loaders.create_loader(core.get_config_variable("data_path")))
    core.register_component("data_loader", _LOADER[0])
    return boto3.Session(botocore_session=core)


if TYPE_CHECKING:  # mypy holds the connection to everything the job uses of it
    from providers.base import Connection

    _CHECKED: type[Connection] = AwsConnection
