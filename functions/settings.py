"""Settings for every job, from flags, environment variables and a config file.

Precedence: command-line flag > ``OFFHOURS_<NAME>`` environment variable > config file
(YAML, ``--config`` or ``OFFHOURS_CONFIG``) > default. One frozen dataclass, built once
at the entry point; a bad value raises one ConfigError naming the setting.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import timedelta
from math import isfinite
from pathlib import Path
from typing import Any

import providers
from functions.jobs.planner import Policy
from providers.base import ProviderConfig
from schedules.protected import DEFAULT_TEXT as DEFAULT_PROTECTED
from schedules.protected import ProtectedTags, ProtectedTagsError

ENV_PREFIX = "OFFHOURS_"


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names it."""


def _csv(value: Any) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(v.strip() for v in str(value).split(",") if v.strip())


@dataclass(frozen=True)
class Settings:
    providers: tuple[str, ...] = ("aws",)
    ledger: str = "./offhours-ledger"
    tag_key: str = "schedule"
    override_key: str = "schedule-override"
    idle_tag_key: str = "idle-stop"
    # The idle rule of VMs and notebooks (docs/idle.md): idle means under this percent
    # (a resource's idle-threshold tag sets its own), and an idle stop waits this many
    # minutes after its notice (0: stop at the first idle look).
    idle_threshold_percent: float = 5.0
    idle_notice_minutes: int = 15
    # "environment|env=prod|production,tier=critical": never touch resources with these
    # tags (keys and values compared trimmed and case-insensitively; schedules/protected.py).
    protected: str = DEFAULT_PROTECTED
    default_tz: str = "UTC"
    catalog: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    grace_minutes: int = 60
    # Minutes before a maintenance window opens that its resources are started.
    maintenance_lead_minutes: int = 10
    # Minutes an ordered resource waits after the lower orders are seen running (its
    # offhours-order-wait tag overrides it).
    order_wait_minutes: int = 5
    max_stop_share: float = 1.0
    force: bool = False
    dry_run: bool = False
    # Ask the clouds' price APIs (cached weekly in the ledger store) before the bundled tables.
    live_prices: bool = False
    max_workers: int = 8
    batch_size: int = 200
    # Still-off checkpoint rows at most once per this many minutes per target: savings
    # claimed lag what runs observed by at most this (docs/ledger.md, "Still off").
    checkpoint_minutes: int = 60
    # How often the scheduling run is triggered: the digest names a target not observed
    # for more than two of these.
    run_interval_minutes: int = 15
    aws_accounts: tuple[str, ...] = ()
    aws_regions: tuple[str, ...] = ()
    aws_role_name: str = ""
    aws_organization: str = ""
    aws_endpoint_url: str = ""
    gcp_projects: tuple[str, ...] = ()
    gcp_organization: str = ""
    gcp_endpoint_url: str = ""
    azure_subscriptions: tuple[str, ...] = ()
    azure_endpoint_url: str = ""
    store_endpoint_url: str = ""
    # A FOCUS cost export (file, folder or object-store prefix) for ``bill check``; when
    # set, the digest shows the last check's confirmed share (docs/bill.md).
    bill: str = ""
    # Warn-before-stop notices (docs/notices.md): off unless a transport or a channel is set.
    notice_minutes: int = 15
    notice_tag_key: str = "notice-minutes"  # a resource's own, longer window (minutes)
    owner_key: str = "owner"
    team_key: str = "team"
    # "web=slack:https://hooks.slack.com/…,ml=teams:https://…,data=json:https://…"
    notice_channels: tuple[str, ...] = ()
    notice_secret: str = ""  # HMAC key of JSON webhooks; feed it from the secret store
    notice_transport: str = ""  # "" (no email notices) | ses | smtp
    # Snooze links in every notice (docs/snooze.md): the snooze function's URL and the name
    # of the secret holding its signing key (read at run time; the key is never a setting).
    snooze_url: str = ""
    snooze_key_secret: str = ""
    notice_from: str = "offhours@example.com"
    ses_region: str = ""
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_username: str = ""
    smtp_password: str = ""

    @classmethod
    def from_sources(
        cls,
        flags: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        config_file: str | Path | None = None,
    ) -> Settings:
        merged: dict[str, Any] = {}
        path = config_file or (env or {}).get(ENV_PREFIX + "CONFIG")
        if path:
            merged.update(_read_file(Path(path)))
        for name in _names():
            value = (env or {}).get(ENV_PREFIX + name.upper())
            if value is not None and value != "":
                merged[name] = value
        merged.update({k: v for k, v in (flags or {}).items() if v is not None})
        return cls._coerce(merged)

    @classmethod
    def _coerce(cls, raw: Mapping[str, Any]) -> Settings:
        unknown = sorted(set(raw) - set(_names()))
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in raw:
                continue
            values[f.name] = _convert(f.name, f.type, raw[f.name])
        settings = cls(**values)
        settings.protected_tags()  # validate now, not mid-run
        settings.validate()
        return settings

    def validate(self) -> None:
        """Refuse values that would make a run do something nobody asked for."""
        share = self.max_stop_share
        if not (isfinite(share) and 0 < share <= 1):
            raise ConfigError(
                f"max_stop_share: {share!r} is not a share of the fleet above 0 and at most 1 "
                "(1.0 = no limit)"
            )
        for name, least in (
            ("batch_size", 1),
            ("max_workers", 1),
            ("grace_minutes", 0),
            ("checkpoint_minutes", 0),
            ("run_interval_minutes", 1),
            ("maintenance_lead_minutes", 0),
            ("order_wait_minutes", 0),
        ):
            if getattr(self, name) < least:
                raise ConfigError(f"{name}: {getattr(self, name)} is below {least}")
        for name in self.providers:
            if name not in providers.clouds():
                raise ConfigError(
                    f"unknown provider {name!r} (choose from {', '.join(providers.clouds())})"
                )
        if "aws" in self.providers:
            _check_regions(self.aws_regions)
        self._check_notices()
        self._check_idle()

    def _check_idle(self) -> None:
        threshold = self.idle_threshold_percent
        if not (isfinite(threshold) and 0 < threshold < 100):
            raise ConfigError(
                f"idle_threshold_percent: {threshold!r} is not a percent above 0 and under 100"
            )
        if not 0 <= self.idle_notice_minutes <= 1440:
            raise ConfigError(
                f"idle_notice_minutes: {self.idle_notice_minutes} is not from 0 to 1440"
            )

    def _check_notices(self) -> None:
        from functions.jobs.notices.config import ChannelError, parse_channels
        from functions.jobs.notices.planning import MAX_WINDOW

        if not 1 <= self.notice_minutes <= MAX_WINDOW.total_seconds() // 60:
            raise ConfigError(f"notice_minutes: {self.notice_minutes} is not from 1 to 1440")
        if self.notice_transport not in ("", "ses", "smtp"):
            raise ConfigError(f"notice_transport: {self.notice_transport!r} is not ses or smtp")
        try:
            channels = parse_channels(self.notice_channels)
        except ChannelError as err:
            raise ConfigError(f"notice_channels: {err}") from err
        signed = any(c.kind == "json" for team in channels.values() for c in team)
        if signed and not self.notice_secret:
            raise ConfigError("notice_secret: a json channel needs a secret to sign its bodies")

    def protected_tags(self) -> ProtectedTags:
        """The protected set; an empty setting means the default, never "nothing"."""
        try:
            return ProtectedTags.parse(self.protected.strip() or DEFAULT_PROTECTED)
        except ProtectedTagsError as err:
            raise ConfigError(f"protected: {err}") from err

    def policy(self) -> Policy:
        return Policy(
            tag_key=self.tag_key,
            override_key=self.override_key,
            idle_tag_key=self.idle_tag_key,
            protected=self.protected_tags(),
            grace=timedelta(minutes=self.grace_minutes),
            max_stop_share=self.max_stop_share,
            force=self.force,
            maintenance_lead=timedelta(minutes=self.maintenance_lead_minutes),
            order_wait=timedelta(minutes=self.order_wait_minutes),
        )

    def provider_config(self, provider: str) -> ProviderConfig:
        by_cloud = {
            "aws": ProviderConfig(
                accounts=self.aws_accounts,
                regions=self.aws_regions,
                role_name=self.aws_role_name,
                organization=self.aws_organization,
                endpoint_url=self.aws_endpoint_url,
                max_workers=self.max_workers,
            ),
            "gcp": ProviderConfig(
                accounts=self.gcp_projects,
                organization=self.gcp_organization,
                endpoint_url=self.gcp_endpoint_url,
                max_workers=self.max_workers,
            ),
            "azure": ProviderConfig(
                accounts=self.azure_subscriptions,
                endpoint_url=self.azure_endpoint_url,
                max_workers=self.max_workers,
            ),
        }
        if provider not in by_cloud:
            raise ConfigError(
                f"unknown provider {provider!r} (choose from {', '.join(providers.clouds())})"
            )
        return by_cloud[provider]

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)


def _names() -> list[str]:
    return [f.name for f in fields(Settings)]


def _convert(name: str, kind: Any, value: Any) -> Any:
    text = str(kind)
    try:
        if "tuple" in text:
            return _csv(value)
        if text == "bool":
            return _bool(value)
        if text == "int":
            return int(value)
        if text == "float":
            return float(value)
        return str(value)
    except ValueError as err:
        raise ConfigError(f"{name}: {value!r} is not a valid {text}") from err


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(value)


def _read_file(path: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text())
    except OSError as err:
        raise ConfigError(f"cannot read config file {path}: {err.strerror}") from err
    except yaml.YAMLError as err:
        raise ConfigError(f"config file {path} is not valid YAML: {err}") from err
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must be a mapping of setting: value")
    return {str(k).replace("-", "_"): v for k, v in data.items()}


def known_aws_regions() -> frozenset[str] | None:
    """Every region in botocore's partition data; None when botocore is not installed."""
    try:
        import botocore.loaders
    except ModuleNotFoundError:
        return None
    endpoints = botocore.loaders.create_loader().load_data("endpoints")
    return frozenset(r for p in endpoints["partitions"] for r in p["regions"])


def _check_regions(regions: tuple[str, ...]) -> None:
    known = known_aws_regions() if regions else None
    unknown = [r for r in regions if known is not None and r not in known]
    if unknown:
        raise ConfigError(
            f"aws_regions: unknown AWS region(s) {', '.join(map(repr, unknown))} "
            "(not in this botocore's partition data; e.g. eu-west-1, us-east-1)"
        )
