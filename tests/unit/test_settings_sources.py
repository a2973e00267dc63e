"""Settings are read in one place and refuse a bad value with one clear error.

Each bad value gives one ``ConfigError`` naming the setting and where the value came from
(the environment variable, the config file or the command line); each cloud's own
settings come from its class in ``providers/<cloud>/settings.py`` through the registry,
so a cloud added to the registry is read, converted and validated with no edit to
``functions/settings.py``; the digest refuses boolean text it does not know instead of
reading it as false; and mail goes out through one set of SMTP/SES settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

import providers
from functions.jobs.digest import DigestSettings
from functions.settings import ConfigError, Settings, sdk_log_level
from providers.base import ProviderConfig


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("OFFHOURS_GRACE_MINUTES", "an hour", "grace_minutes: 'an hour' is not a whole number"),
        ("OFFHOURS_GRACE_MINUTES", "-30", "grace_minutes: -30 is below 0"),
        ("OFFHOURS_DRY_RUN", "maybe", "dry_run: 'maybe' is not true or false"),
        ("OFFHOURS_MAX_STOP_SHARE", "half", "max_stop_share: 'half' is not a number"),
        ("OFFHOURS_MAX_STOP_SHARE", "1.5", "max_stop_share: 1.5 is not a share of the fleet"),
        ("OFFHOURS_TIMEOUT_SECONDS", "soon", "timeout_seconds: 'soon' is not a number"),
        ("OFFHOURS_TIMEOUT_SECONDS", "-5", "timeout_seconds: -5.0 is not a number of seconds"),
        ("OFFHOURS_RUN_INTERVAL_MINUTES", "0", "run_interval_minutes: 0 is below 1"),
        ("OFFHOURS_NOTICE_TRANSPORT", "pigeon", "notice_transport: 'pigeon' is not ses or smtp"),
        ("OFFHOURS_AWS_REGIONS", "eu-mars-1", "aws_regions: unknown AWS region(s) 'eu-mars-1'"),
        ("OFFHOURS_SNOOZE_MAX_HOURS", "a day", "snooze_max_hours: 'a day' is not a number"),
        ("OFFHOURS_SNOOZE_MAX_HOURS", "200", "snooze_max_hours: 200.0 is not above 0 and at most"),
    ],
)
def test_each_bad_variable_is_one_error_naming_it(variable: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_sources({}, {variable: value})
    assert str(raised.value).startswith(message)
    assert str(raised.value).endswith(f"(from {variable})")


def test_a_cloud_setting_is_validated_for_the_clouds_the_run_schedules() -> None:
    env = {"OFFHOURS_GCP_ORGANIZATION": "acme"}
    assert Settings.from_sources({}, env).provider_config("gcp").organization == "acme"
    with pytest.raises(ConfigError) as raised:
        Settings.from_sources({}, {**env, "OFFHOURS_PROVIDERS": "gcp"})
    assert str(raised.value) == (
        "gcp_organization: 'acme' is not folders/N, organizations/N or a number "
        "(from OFFHOURS_GCP_ORGANIZATION)"
    )


def test_the_error_names_the_config_file_or_the_command_line(tmp_path: Path) -> None:
    config = tmp_path / "offhours.yaml"
    config.write_text("grace-minutes: soon\n")
    with pytest.raises(ConfigError, match=rf"\(from config file {config}\)$"):
        Settings.from_sources({}, {}, config)
    with pytest.raises(ConfigError, match=r"^aws_regions: .*\(from the command line\)$"):
        Settings.from_sources({"aws_regions": "eu-west-1,eu-mars-1"}, {})


def test_cloud_settings_come_from_each_clouds_class() -> None:
    settings = Settings.from_sources(
        {"aws_role_name": "offhours-member"},
        {
            "OFFHOURS_AWS_ACCOUNTS": "111111111111, 222222222222",
            "OFFHOURS_AWS_REGIONS": "eu-west-1",
            "OFFHOURS_GCP_PROJECTS": "dev-project",
            "OFFHOURS_AZURE_SUBSCRIPTIONS": "sub-a",
            "OFFHOURS_AZURE_ENDPOINT_URL": "http://127.0.0.1:9",
            "OFFHOURS_MAX_WORKERS": "4",
        },
    )
    assert settings.provider_config("aws") == ProviderConfig(
        accounts=("111111111111", "222222222222"),
        regions=("eu-west-1",),
        role_name="offhours-member",
        max_workers=4,
    )
    assert settings.provider_config("gcp").accounts == ("dev-project",)
    assert settings.provider_config("azure") == ProviderConfig(
        accounts=("sub-a",), endpoint_url="http://127.0.0.1:9", max_workers=4
    )
    assert settings.endpoint_url("azure") == "http://127.0.0.1:9"
    changed = settings.replace(gcp_projects=("other",), dry_run=True)
    assert changed.provider_config("gcp").accounts == ("other",) and changed.dry_run
    assert settings.provider_config("gcp").accounts == ("dev-project",)


@dataclass(frozen=True)
class MoonSettings:
    """A cloud the job's settings module has never heard of."""

    craters: tuple[str, ...] = ()
    dust_limit: int = 3

    def validate(self) -> None:
        if self.dust_limit > 10:
            raise ConfigError(f"moon_dust_limit: {self.dust_limit} is above 10", "moon_dust_limit")

    def provider_config(self, max_workers: int) -> ProviderConfig:
        return ProviderConfig(accounts=self.craters, max_workers=max_workers)


def test_a_new_cloud_is_one_settings_class_and_registry_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(providers.CONNECTIONS, "moon", "unused.moon.connection:connect")
    monkeypatch.setitem(providers.SETTINGS, "moon", f"{__name__}:MoonSettings")
    env = {"OFFHOURS_PROVIDERS": "moon", "OFFHOURS_MOON_CRATERS": "tycho,copernicus"}
    settings = Settings.from_sources({}, env)
    assert settings.provider_config("moon").accounts == ("tycho", "copernicus")
    with pytest.raises(ConfigError, match=r"^moon_dust_limit: 'lots' is not a whole number"):
        Settings.from_sources({}, {**env, "OFFHOURS_MOON_DUST_LIMIT": "lots"})
    with pytest.raises(ConfigError) as raised:
        Settings.from_sources({}, {**env, "OFFHOURS_MOON_DUST_LIMIT": "11"})
    assert str(raised.value) == "moon_dust_limit: 11 is above 10 (from OFFHOURS_MOON_DUST_LIMIT)"


def test_an_unknown_provider_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown provider 'moon' \(choose from aws, gcp, azure"):
        Settings.from_sources({}, {"OFFHOURS_PROVIDERS": "moon"})


@pytest.mark.parametrize("text", ["ture", "enabled", "2"])
def test_the_digest_refuses_boolean_text_it_does_not_know(text: str) -> None:
    """It used to read any such text as false: STARTTLS silently off."""
    with pytest.raises(ConfigError) as raised:
        DigestSettings.from_sources({}, {"OFFHOURS_SMTP_STARTTLS": text})
    assert str(raised.value) == (
        f"smtp_starttls: {text!r} is not true or false (also yes/no, on/off, 1/0) "
        "(from OFFHOURS_SMTP_STARTTLS)"
    )
    assert DigestSettings.from_sources({}, {"OFFHOURS_SMTP_STARTTLS": "off"}).smtp_starttls is False


def test_digest_errors_name_their_variable() -> None:
    with pytest.raises(
        ConfigError, match=r"^top: 'ten' is not a whole number \(from OFFHOURS_DIGEST_TOP\)$"
    ):
        DigestSettings.from_sources({}, {"OFFHOURS_DIGEST_TOP": "ten"})
    with pytest.raises(
        ConfigError, match=r"transport 'pigeon'.*\(from OFFHOURS_DIGEST_TRANSPORT\)$"
    ):
        DigestSettings.from_sources({}, {"OFFHOURS_DIGEST_TRANSPORT": "pigeon"})


def test_the_notices_and_the_digest_share_one_set_of_mail_settings() -> None:
    env = {
        "OFFHOURS_SMTP_HOST": "mail.example.com",
        "OFFHOURS_SMTP_PORT": "2525",
        "OFFHOURS_SMTP_STARTTLS": "false",
        "OFFHOURS_SMTP_USERNAME": "offhours",
        "OFFHOURS_SES_REGION": "eu-west-1",
    }
    run, digest = Settings.from_sources({}, env), DigestSettings.from_sources({}, env)
    for settings in (run, digest):
        assert (settings.smtp_host, settings.smtp_port, settings.smtp_starttls) == (
            "mail.example.com",
            2525,
            False,
        )
        assert (settings.smtp_username, settings.ses_region) == ("offhours", "eu-west-1")
    # One name: the digest has no SMTP variables of its own.
    unread = DigestSettings.from_sources({}, {"OFFHOURS_DIGEST_SMTP_HOST": "elsewhere"})
    assert unread.smtp_host == "localhost"


def test_the_sdk_log_level_is_checked_not_ignored() -> None:
    assert sdk_log_level({}) == "WARNING"
    assert sdk_log_level({"OFFHOURS_SDK_LOG_LEVEL": "info"}) == "INFO"
    with pytest.raises(ConfigError, match=r"^sdk_log_level: 'LOUD' is not one of DEBUG"):
        sdk_log_level({"OFFHOURS_SDK_LOG_LEVEL": "LOUD"})


def test_the_snooze_function_reads_its_settings_with_the_runs() -> None:
    from functions.jobs.snooze.settings import SnoozeSettings

    env = {"OFFHOURS_SNOOZE_KEY_SECRET": "offhours-snooze", "OFFHOURS_SNOOZE_MAX_HOURS": "8"}
    settings = SnoozeSettings.from_env(env)
    assert (settings.key_secret, settings.cap.total_seconds()) == ("offhours-snooze", 8 * 3600)
    with pytest.raises(
        ConfigError, match=r"^snooze_max_hours: 0\.0 .*\(from OFFHOURS_SNOOZE_MAX_HOURS\)$"
    ):
        SnoozeSettings.from_env({**env, "OFFHOURS_SNOOZE_MAX_HOURS": "0"})
    with pytest.raises(ConfigError, match=r"^snooze_key_secret: name the secret"):
        SnoozeSettings.from_env({"OFFHOURS_SNOOZE_MAX_HOURS": "8"})
