"""The installed ``offhours`` console script against a moto server: notices reach a real
SMTP server (aiosmtpd) and Amazon SES (moto), once per owner per stop, and a second run
in the same window sends nothing."""

from __future__ import annotations

import json
import sys
import urllib.request
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from notice_kit import Inbox, seeded_session, text_of

sys.path.insert(0, str(Path(__file__).parents[1] / "e2e"))

from e2e_kit import REGION, Cli

from sandbox.aws_fleet import Box

AT = "2026-11-23T18:50:00+00:00"  # a Monday, 10 minutes before office-hours stop (UTC)
LATER = "2026-11-23T18:55:00+00:00"
FLEET = [
    Box("dev-a", "t3.medium", {"schedule": "office-hours", "owner": "alice@example.com"}),
    Box("dev-b", "t3.large", {"schedule": "office-hours", "owner": "alice@example.com"}),
    Box("dev-c", "m5.large", {"schedule": "office-hours", "owner": "bob@example.com"}),
    Box("bad", "t3.small", {"schedule": "office-hours", "owner": "bob at example"}),
]


@pytest.fixture
def ec2(moto_url: str) -> Any:
    session = seeded_session(moto_url, REGION, FLEET)
    return session


@pytest.fixture
def cli(moto_url: str, tmp_path: Path) -> Cli:
    home = tmp_path / "home"
    home.mkdir()
    return Cli(moto_url, home)


def offhours_run(cli: Cli, tmp_path: Path, at: str, **env: str) -> Any:
    args = ("run", "--region", REGION, "--ledger", str(tmp_path / "ledger"), "--at", at)
    return cli(*args, "-o", "json", env={"OFFHOURS_KINDS": "ec2", **env})


def test_the_console_script_mails_each_owner_once_over_smtp(
    ec2: Any, cli: Cli, tmp_path: Path, smtp_port: int, inbox: Inbox
) -> None:
    smtp = {
        "OFFHOURS_NOTICE_TRANSPORT": "smtp",
        "OFFHOURS_SMTP_HOST": "127.0.0.1",
        "OFFHOURS_SMTP_PORT": str(smtp_port),
        "OFFHOURS_SMTP_STARTTLS": "false",
    }
    proc = offhours_run(cli, tmp_path, AT, **smtp)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    statuses = {n["name"]: n["status"] for n in report["notices"]}
    assert statuses == {"dev-a": "sent", "dev-b": "sent", "dev-c": "sent", "bad": "failed"}
    assert "not an email address" in proc.stderr  # reported as a warning, one line
    assert sorted(r for m in inbox.mail for r in m.rcpt) == ["alice@example.com", "bob@example.com"]
    [alice] = inbox.to("alice@example.com")
    assert "dev-a" in text_of(alice) and "dev-b" in text_of(alice)
    assert "dev-c" not in text_of(alice)
    # Five minutes later, the same window: nothing new is sent.
    again = offhours_run(cli, tmp_path, LATER, **smtp)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["notices"] == []
    assert len(inbox.mail) == 2


def test_a_dry_run_of_the_console_script_lists_the_notices_and_sends_none(
    ec2: Any, cli: Cli, tmp_path: Path, smtp_port: int, inbox: Inbox
) -> None:
    env = {"OFFHOURS_NOTICE_TRANSPORT": "smtp", "OFFHOURS_SMTP_PORT": str(smtp_port)}
    proc = cli(
        "run", "--region", REGION, "--ledger", str(tmp_path / "ledger"), "--at", AT, "--dry-run",
        env={"OFFHOURS_KINDS": "ec2", "OFFHOURS_SMTP_HOST": "127.0.0.1", **env},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "notice due: dev-a stops at 2026-11-23T19:00:00Z, to alice@example.com" in proc.stdout
    assert inbox.mail == []
    assert not (tmp_path / "ledger").exists()


def test_the_console_script_sends_through_ses(
    ec2: Any, moto_url: str, cli: Cli, tmp_path: Path
) -> None:
    ec2.client("ses", endpoint_url=moto_url).verify_email_identity(
        EmailAddress="offhours@example.com"
    )
    ses = {"OFFHOURS_NOTICE_TRANSPORT": "ses", "OFFHOURS_SES_REGION": REGION}
    proc = offhours_run(cli, tmp_path, AT, **ses)
    assert proc.returncode == 0, proc.stderr
    with urllib.request.urlopen(f"{moto_url}/moto-api/data.json", timeout=10) as response:
        raw = json.load(response)["ses"]["RawMessage"]
    sent = {}
    for item in raw:
        message = message_from_bytes(item["raw_data"].encode(), policy=policy.default)
        sent.setdefault(str(message["To"]), []).append(message)
    assert sorted(sent) == ["alice@example.com", "bob@example.com"]
    assert [len(v) for v in sent.values()] == [1, 1]
    [alice] = sent["alice@example.com"]
    assert alice["Subject"] == "offhours: 2 of your resources stop from 19:00 UTC"
    assert alice["From"] == "offhours@example.com"
