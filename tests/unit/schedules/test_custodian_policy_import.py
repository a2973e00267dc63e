"""``offhours schedule import --from custodian POLICY.yml``: the policies' offhour/onhour
options as offhours settings.

The policies are Cloud Custodian's documented examples, from the module documentation
of ``c7n/filters/offhours.py`` (github.com/cloud-custodian/cloud-custodian, commit
df800e9): "Turn ec2 instances on and off", the ASG pair with bare ``offhour``/``onhour``
filters, and "onhour-morning-start-skip-holidays" (``tag: custodian_downtime``,
``default_tz: et``, ``onhour: 6``, ``skip-days``). The settings written are then loaded
by offhours itself."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from functions.cli.main import main
from functions.settings import Settings
from schedules import load_catalog, wanted_state

DOCUMENTED = """
policies:
  - name: offhours-stop
    resource: ec2
    filters:
      - type: offhour
    actions:
      - stop
  - name: offhours-start
    resource: ec2
    filters:
      - type: onhour
    actions:
      - start
  - name: asg-offhours-stop
    resource: asg
    filters:
      - offhour
    actions:
      - suspend
"""
HOLIDAYS = """
policies:
  - name: onhour-morning-start-skip-holidays
    resource: ec2
    filters:
      - type: onhour
        tag: custodian_downtime
        default_tz: et
        onhour: 6
        skip-days: ['2017-12-25']
    actions:
      - start
"""


def run(tmp_path: Path, text: str) -> tuple[int, dict[str, str], str, Path]:
    policy = tmp_path / "policy.yml"
    policy.write_text(text)
    out = tmp_path / "offhours.yaml"
    code = main(["schedule", "import", "--from", "custodian", str(policy), "--out", str(out)])
    return code, yaml.safe_load(out.read_text()), str(out), out


def test_the_documented_policies_become_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, settings, _, out = run(tmp_path, DOCUMENTED)
    assert code == 0 and capsys.readouterr().err == ""
    # Custodian's defaults: its tag and its zone (et).
    assert settings == {
        "tag_key": "maid_offhours",
        "default_tz": "America/New_York",
        "kinds": "ec2,asg",
    }
    loaded = Settings.from_sources({}, {}, str(out))
    assert loaded.tag_key == "maid_offhours" and loaded.kinds == ("ec2", "asg")
    # A resource tagged "on" under that policy runs office hours in New York.
    schedule = load_catalog(default_tz=loaded.default_tz).resolve("on")
    from datetime import UTC, datetime

    assert (
        wanted_state(schedule, datetime(2026, 11, 23, 13, tzinfo=UTC)).value == "running"
    )  # 08:00 ET
    assert (
        wanted_state(schedule, datetime(2026, 11, 24, 1, tzinfo=UTC)).value == "stopped"
    )  # 20:00 ET


def test_what_offhours_cannot_hold_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, settings, _, _ = run(tmp_path, HOLIDAYS)
    err = capsys.readouterr().err
    assert code == 1
    assert settings["tag_key"] == "custodian_downtime"
    assert "onhour skip-days is not carried over" in err
    assert "onhour 6 (offhours' default for a missing side is 7)" in err


def test_a_file_without_offhours_filters_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = tmp_path / "policy.yml"
    policy.write_text("policies:\n  - name: x\n    resource: s3\n    filters: []\n")
    assert main(["schedule", "import", "--from", "custodian", str(policy)]) == 2
    assert "no policy with an offhour or onhour filter" in capsys.readouterr().err
