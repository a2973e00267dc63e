"""Reaching AWS: one boto3 session, role assumption per member account, cached clients.

Nothing here runs at import time; boto3 itself is imported when a connection is made,
so the CLI starts fast and other clouds' packages never import it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from providers.base import ProviderConfig, Target

# Standard retry mode backs off on throttling and transient errors; adaptive mode adds
# client-side rate limiting, which is what a fan-out over many targets needs.
RETRIES = {"mode": "adaptive", "max_attempts": 8}


class AwsAccessError(Exception):
    """A target's account could not be entered (role missing, access denied, ...)."""


@dataclass
class AwsConnection:
    config: ProviderConfig
    session: Any
    provider: str = "aws"
    home_account: str = ""
    # aws, aws-us-gov or aws-cn: read from the caller's ARN, never assumed.
    partition: str = ""
    _clients: dict[tuple[str, str, str], Any] = field(default_factory=dict)
    _sessions: dict[str, Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, service: str, target: Target) -> Any:
        """A client for ``service`` in the target's account and region (cached)."""
        cache_key = (service, target.account, target.region)
        with self._lock:
            cached = self._clients.get(cache_key)
        if cached is not None:
            return cached
        session = self._session_for(target.account)
        client = session.client(
            service,
            region_name=target.region or None,
            endpoint_url=self.config.endpoint_url or None,
            config=_botocore_config(),
        )
        with self._lock:
            return self._clients.setdefault(cache_key, client)

    def home_client(self, service: str, region: str = "us-east-1") -> Any:
        return self.client(service, Target("aws", self.account_id(), region))

    def account_id(self) -> str:
        if not self.home_account or not self.partition:
            sts = self.session.client(
                "sts", endpoint_url=self.config.endpoint_url or None, config=_botocore_config()
            )
            identity = sts.get_caller_identity()
            self.home_account = identity["Account"]
            self.partition = identity["Arn"].split(":")[1]
        return self.home_account

    def role_arn(self, account: str, role_name: str) -> str:
        """The ARN of a role in ``account``, in the partition this identity runs in."""
        self.account_id()
        return f"arn:{self.partition}:iam::{account}:role/{role_name}"

    def targets(self) -> Sequence[Target]:
        from providers.aws.targets import list_targets

        return list_targets(self)

    def _session_for(self, account: str) -> Any:
        if not account or account == self.account_id() or not self.config.role_name:
            return self.session
        with self._lock:
            cached = self._sessions.get(account)
        if cached is not None:
            return cached
        session = _assume_role(self, account)
        with self._lock:
            return self._sessions.setdefault(account, session)


def connect(config: ProviderConfig, session: Any = None) -> AwsConnection:
    import boto3

    return AwsConnection(config=config, session=session or boto3.Session())


def _botocore_config() -> Any:
    from botocore.config import Config

    return Config(retries=RETRIES, max_pool_connections=32)


def _assume_role(connection: AwsConnection, account: str) -> Any:
    import boto3
    import botocore.session
    from botocore.exceptions import BotoCoreError, ClientError

    arn = connection.role_arn(account, connection.config.role_name)
    sts = connection.session.client(
        "sts", endpoint_url=connection.config.endpoint_url or None, config=_botocore_config()
    )
    try:
        creds = sts.assume_role(RoleArn=arn, RoleSessionName="offhours")["Credentials"]
    except (ClientError, BotoCoreError) as err:
        raise AwsAccessError(f"cannot assume {arn}: {err}") from err
    # Share the base session's loaded service models: a fresh botocore session per account
    # would parse them again (about 0.5 s of CPU per account for a handful of clients).
    botocore_session = botocore.session.Session()
    botocore_session.register_component(
        "data_loader", connection.session._session.get_component("data_loader")
    )
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        botocore_session=botocore_session,
    )
