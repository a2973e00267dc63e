"""Settings for every job, from flags, environment variables and a config file.

Precedence: command-line flag > ``OFFHOURS_<NAME>`` environment variable > config file
(YAML, ``--config`` or ``OFFHOURS_CONFIG``) > default. One frozen dataclass, built once
at the entry point; a bad value raises one ConfigError naming the setting and where it
came from (the variable, the file or the command line).

Each cloud's own settings (``aws_regions``, ``gcp_projects``, ...) are fields of its
class in ``providers/<cloud>/settings.py``, found through ``providers.SETTINGS``: read,
converted and reported here like every other setting, so a new cloud edits nothing here.
This module is where the environment is read: the entry points pass theirs in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from datetime import timedelta
from math import isfinite
from pathlib import Path
from typing import Any

import providers
from functions.jobs.planner import Policy
from providers.base import CloudSettings, ConfigError, ProviderConfig
from schedules.protected import DEFAULT_TEXT as DEFAULT_PROTECTED
from schedules.protected import ProtectedTags, ProtectedTagsError

# ConfigError (providers/base.py) is the one error type of every settings class, the
# clouds' own included; callers import it from here.
ENV_PREFIX = "OFFHOURS_"
SDK_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


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
    # Seconds the platform gives one invocation of the scheduler or the inventory
    # (OFFHOURS_TIMEOUT_SECONDS); 0 = the platform's own limit: a Lambda's remaining time,
    # host.json's functionTimeout on Azure, the deployed 540 s on Cloud Functions. Every
    # entry point counts it down the same way (functions/clouds/entry.py: time_left).
    timeout_seconds: float = 0.0
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
    # The longest a snooze link keeps a resource running, in hours from its confirmation
    # (the snooze function's cap; functions/jobs/snooze/until.py DEFAULT_CAP is the same).
    snooze_max_hours: float = 24.0
    notice_from: str = "offhours@example.com"
    ses_region: str = ""
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_username: str = ""
    smtp_password: str = ""
    # Each cloud's own settings (providers/<cloud>/settings.py) by cloud; a cloud missing
    # here has its class's defaults. Set through the flat names (``aws_regions``).
    clouds: Mapping[str, CloudSettings] = field(default_factory=dict, hash=False)

    @classmethod
    def from_sources(
        cls,
        flags: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        config_file: str | Path | None = None,
    ) -> Settings:
        found = Sourced()
        path = config_file or (env or {}).get(ENV_PREFIX + "CONFIG")
        if path:
            found.add(_read_file(Path(path)), f"config file {path}")
        found.add_env(env or {}, {name: ENV_PREFIX + name.upper() for name in setting_names()})
        found.add(flags or {}, "the command line")
        return cls._coerce(found)

    @classmethod
    def _coerce(cls, raw: Sourced) -> Settings:
        unknown = sorted(set(raw.values) - set(setting_names()))
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(unknown)}")
        with raw.naming_sources():
            values = convert_fields(cls, raw.values, skip=("clouds",))
            clouds = {
                cloud: kind(**convert_fields(kind, raw.values, prefix=f"{cloud}_"))
                for cloud, kind in cloud_classes().items()
            }
            settings = cls(**values, clouds=clouds)
            settings.protected_tags()  # validate now, not mid-run
            settings.validate()
        return settings

    def validate(self) -> None:
        """Refuse values that would make a run do something nobody asked for."""
        share = self.max_stop_share
        if not (isfinite(share) and 0 < share <= 1):
            raise ConfigError(
                f"max_stop_share: {share!r} is not a share of the fleet above 0 and at most 1 "
                "(1.0 = no limit)",
                "max_stop_share",
            )
        if not (isfinite(self.snooze_max_hours) and 0 < self.snooze_max_hours <= 24 * 7):
            raise ConfigError(
                f"snooze_max_hours: {self.snooze_max_hours} is not above 0 and at most 168 hours",
                "snooze_max_hours",
            )
        if not (isfinite(self.timeout_seconds) and self.timeout_seconds >= 0):
            raise ConfigError(
                f"timeout_seconds: {self.timeout_seconds!r} is not a number of seconds "
                "(0 = the platform's own limit)",
                "timeout_seconds",
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
                raise ConfigError(f"{name}: {getattr(self, name)} is below {least}", name)
        for name in self.providers:
            self.cloud(name).validate()  # only the clouds this run schedules
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
            raise ConfigError(
                f"notice_minutes: {self.notice_minutes} is not from 1 to 1440", "notice_minutes"
            )
        if self.notice_transport not in ("", "ses", "smtp"):
            raise ConfigError(
                f"notice_transport: {self.notice_transport!r} is not ses or smtp",
                "notice_transport",
            )
        try:
            channels = parse_channels(self.notice_channels)
        except ChannelError as err:
            raise ConfigError(f"notice_channels: {err}", "notice_channels") from err
        signed = any(c.kind == "json" for team in channels.values() for c in team)
        if signed and not self.notice_secret:
            raise ConfigError(
                "notice_secret: a json channel needs a secret to sign its bodies", "notice_secret"
            )

    def protected_tags(self) -> ProtectedTags:
        """The protected set; an empty setting means the default, never "nothing"."""
        try:
            return ProtectedTags.parse(self.protected.strip() or DEFAULT_PROTECTED)
        except ProtectedTagsError as err:
            raise ConfigError(f"protected: {err}", "protected") from err

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

    def cloud(self, provider: str) -> CloudSettings:
        """The cloud's own settings (its class's defaults when none were given)."""
        given = self.clouds.get(provider)
        if given is not None:
            return given
        kinds = cloud_classes()
        if provider not in kinds:
            raise ConfigError(
                f"unknown provider {provider!r} (choose from {', '.join(kinds) or 'none'})",
                "providers",
            )
        made: CloudSettings = kinds[provider]()
        return made

    def provider_config(self, provider: str) -> ProviderConfig:
        return self.cloud(provider).provider_config(self.max_workers)

    def endpoint_url(self, provider: str) -> str:
        """The cloud's local endpoint (the sandbox's); "" for the real one, or for a cloud
        this package does not carry."""
        if provider not in cloud_classes():
            return ""
        return self.provider_config(provider).endpoint_url

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes``; a cloud's own settings by their flat names
        (``aws_regions=("eu-west-1",)``)."""
        clouds = dict(self.clouds)
        for cloud, kind in cloud_classes().items():
            prefix = f"{cloud}_"
            own = {
                f.name: changes.pop(prefix + f.name)
                for f in fields(kind)
                if prefix + f.name in changes
            }
            if own:
                current: Any = self.cloud(cloud)
                clouds[cloud] = dataclasses.replace(current, **own)
        return dataclasses.replace(self, **changes, clouds=clouds)


def cloud_classes() -> dict[str, Any]:
    """Each cloud's settings class (``providers.SETTINGS``), for the clouds this package
    carries (a function package carries one)."""
    return providers.installed(providers.SETTINGS)


def setting_names() -> list[str]:
    """Every setting's name: the job's own, then each cloud's ``<cloud>_<field>``."""
    own = [f.name for f in fields(Settings) if f.name != "clouds"]
    by_cloud = [f"{c}_{f.name}" for c, kind in cloud_classes().items() for f in fields(kind)]
    return own + by_cloud


class Sourced:
    """Raw setting values by name, and where each came from (a variable, a file, the
    command line), so an error names what to fix. Later sources win."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.origins: dict[str, str] = {}

    def add(self, values: Mapping[str, Any], origin: str) -> None:
        for name, value in values.items():
            if value is not None:
                self.values[name], self.origins[name] = value, origin

    def add_env(self, env: Mapping[str, str], variables: Mapping[str, str]) -> None:
        """``variables``: setting name -> the environment variable it is read from (an
        empty variable counts as unset)."""
        for name, variable in variables.items():
            value = env.get(variable)
            if value is not None and value != "":
                self.values[name], self.origins[name] = value, variable

    @contextmanager
    def naming_sources(self) -> Iterator[None]:
        """A ConfigError about one setting, with where its value came from added."""
        try:
            yield
        except ConfigError as err:
            if err.setting not in self.origins:
                raise
            origin = self.origins[err.setting]
            raise type(err)(f"{err} (from {origin})", err.setting) from err


def sdk_log_level(env: Mapping[str, str]) -> str:
    """``OFFHOURS_SDK_LOG_LEVEL``: the level of the cloud SDK's own loggers in a function
    (their HTTP traces are INFO), WARNING when unset. Every function of an app reads it,
    the digest too, before its own settings: it is not a field of either."""
    variable = ENV_PREFIX + "SDK_LOG_LEVEL"
    level = (env.get(variable) or "WARNING").strip().upper()
    if level not in SDK_LOG_LEVELS:
        raise ConfigError(
            f"sdk_log_level: {env[variable]!r} is not one of {', '.join(SDK_LOG_LEVELS)} "
            f"(from {variable})",
            "sdk_log_level",
        )
    return level


DIGEST_PREFIX = ENV_PREFIX + "DIGEST_"
# Digest settings that fall back to the run's variable when OFFHOURS_DIGEST_<NAME> is unset.
DIGEST_FALLBACKS = {
    "ledger": "OFFHOURS_LEDGER",
    "store_endpoint_url": "OFFHOURS_STORE_ENDPOINT_URL",
    "tz": "OFFHOURS_DEFAULT_TZ",
    "protected": "OFFHOURS_PROTECTED",
    "bill": "OFFHOURS_BILL",
    "run_interval_minutes": "OFFHOURS_RUN_INTERVAL_MINUTES",
}
# How mail leaves, one name for the run's notices and the digest: the run's variables only.
MAIL_SETTINGS = (
    "ses_region",
    "smtp_host",
    "smtp_port",
    "smtp_starttls",
    "smtp_username",
    "smtp_password",
)


def digest_sources(names: list[str], flags: Mapping[str, Any], env: Mapping[str, str]) -> Sourced:
    """The digest's raw settings (functions/jobs/digest.py: DigestSettings) by field name:
    flag > ``OFFHOURS_DIGEST_<NAME>`` > the run's variable it falls back to; mail settings
    from the run's ``OFFHOURS_SES_REGION`` / ``OFFHOURS_SMTP_*`` only."""
    found = Sourced()
    shared = {n: ENV_PREFIX + n.upper() for n in names if n in MAIL_SETTINGS}
    found.add_env(env, {n: DIGEST_FALLBACKS[n] for n in names if n in DIGEST_FALLBACKS})
    found.add_env(env, {n: DIGEST_PREFIX + n.upper() for n in names if n not in shared})
    found.add_env(env, shared)
    found.add(flags, "the command line")
    return found


def convert_fields(
    kind: Any, raw: Mapping[str, Any], prefix: str = "", skip: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The values ``raw`` gives for ``kind``'s dataclass fields (named ``prefix + field``),
    converted to each field's type."""
    return {
        f.name: _convert(prefix + f.name, f.type, raw[prefix + f.name])
        for f in fields(kind)
        if f.name not in skip and prefix + f.name in raw
    }


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
        raise ConfigError(f"{name}: {value!r} is not {_WORDS.get(text, text)}", name) from err


_WORDS = {
    "bool": "true or false (also yes/no, on/off, 1/0)",
    "int": "a whole number",
    "float": "a number",
}


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
