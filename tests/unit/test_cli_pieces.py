"""The command line's pure pieces: short reasons, error lines, settings checks."""

from __future__ import annotations

import pytest

from functions.cli.display import ellipsis, short_reason
from functions.errors import describe
from functions.settings import ConfigError, Settings


def test_a_parser_message_becomes_one_short_sentence() -> None:
    reason = (
        "bad schedule tag 'mon-fry 09:00-17:00 Europe/London and more words': unknown day "
        "'fry'\nvalid forms: mon-fri 08:00-19:00 ZONE, office-hours, ..."
    )
    short = short_reason(reason, problem=True)
    assert short == "bad schedule tag 'mon-fry 09:00-17:00 Eur…' (offhours explain shows why)"


def test_a_refused_stop_says_so_briefly() -> None:
    reason = "office-hours: off since Mon 19:00 UTC; refused: this run would stop 3 of 4 (75%)"
    assert short_reason(reason).startswith("refused: over the max_stop_share limit")


def test_ellipsis() -> None:
    assert ellipsis("abcdef", 4) == "abc…"
    assert ellipsis("abc", 4) == "abc"


def test_a_missing_module_names_its_extra() -> None:
    message, code = describe(ModuleNotFoundError("No module named 'jinja2'", name="jinja2"))
    assert code == 2 and "pip install 'offhours[digest]'" in message


def test_an_unexpected_error_is_one_line_and_exit_1() -> None:
    message, code = describe(RuntimeError("first\nsecond"))
    assert code == 1 and "\n" not in message and message.startswith("RuntimeError: first")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("max_stop_share", "-1"),
        ("max_stop_share", "0"),
        ("max_stop_share", "nan"),
        ("max_stop_share", "1.5"),
        ("batch_size", "0"),
        ("max_workers", "0"),
        ("grace_minutes", "-30"),
        ("aws_regions", "eu-west-1,eu-mars-1"),
    ],
)
def test_settings_that_would_do_harm_are_refused(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_sources({name: value}, {})


def test_sane_settings_pass() -> None:
    settings = Settings.from_sources(
        {"max_stop_share": "0.5", "grace_minutes": "0", "aws_regions": "eu-west-1,us-east-1"}, {}
    )
    assert settings.max_stop_share == 0.5
