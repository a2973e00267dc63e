"""The idle rule's settings (``OFFHOURS_IDLE_THRESHOLD_PERCENT``,
``OFFHOURS_IDLE_NOTICE_MINUTES``): read once, refused with one clear error naming the
setting. That they reach the adapters' idle pass is shown end to end on moto
(``tests/functional/aws/test_aws_idle_restart.py``)."""

from __future__ import annotations

import pytest

from functions.settings import ConfigError, Settings


def test_defaults_and_environment_values() -> None:
    assert (Settings().idle_threshold_percent, Settings().idle_notice_minutes) == (5.0, 15)
    env = {"OFFHOURS_IDLE_THRESHOLD_PERCENT": "12.5", "OFFHOURS_IDLE_NOTICE_MINUTES": "0"}
    settings = Settings.from_sources(env=env)
    assert (settings.idle_threshold_percent, settings.idle_notice_minutes) == (12.5, 0)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("IDLE_THRESHOLD_PERCENT", "0", "idle_threshold_percent: 0.0 is not a percent above 0"),
        ("IDLE_THRESHOLD_PERCENT", "100", "idle_threshold_percent: 100.0 is not a percent"),
        ("IDLE_THRESHOLD_PERCENT", "nan", "idle_threshold_percent: nan is not a percent"),
        ("IDLE_THRESHOLD_PERCENT", "five", "idle_threshold_percent: 'five' is not a number"),
        ("IDLE_NOTICE_MINUTES", "-1", "idle_notice_minutes: -1 is not from 0 to 1440"),
        ("IDLE_NOTICE_MINUTES", "1441", "idle_notice_minutes: 1441 is not from 0 to 1440"),
        ("IDLE_NOTICE_MINUTES", "1.5", "idle_notice_minutes: '1.5' is not a whole number"),
    ],
)
def test_bad_values_name_the_setting(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match="^" + message.replace(".", r"\.").replace("(", r"\(")):
        Settings.from_sources(env={f"OFFHOURS_{name}": value})
