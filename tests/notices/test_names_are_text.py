"""A name or tag that anyone may set must never silence the other resources' notices or
wreck the run: the installed ``offhours`` console script against a moto server, a real
SMTP server (aiosmtpd) and a webhook receiver on loopback."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from notice_kit import Inbox, Receiver, seeded_session

sys.path.insert(0, str(Path(__file__).parents[1] / "e2e"))

from e2e_kit import REGION, Cli

from ledger.run_state import TargetState, state_key
from providers.store import LocalStore
from sandbox.aws_fleet import Box, instance_states

AT = "2026-11-23T18:50:00+00:00"  # a Monday, 10 minutes before office-hours stop (UTC)
LATER = "2026-11-23T18:55:00+00:00"
STOP = "2026-11-23T19:05:00+00:00"
OFFICE = {"schedule": "office-hours"}
CRLF = "x\r\nY: z"
FLEET = [
    Box("dev-a", "t3.medium", {**OFFICE, "owner": "alice@example.com", "team": "web"}),
    Box(CRLF, "t3.small", {**OFFICE, "owner": "bob@example.com", "team": "web"}),
    Box("[Keep running](https://evil.example/t)", "t3.small", {**OFFICE, "team": "web"}),
    Box("<!channel> hi", "t3.small", {**OFFICE, "team": "web"}),
    Box("dev-c", "m5.large", {**OFFICE, "owner": "carol@example.com"}),
]


@pytest.fixture
def ec2(moto_url: str) -> Any:
    session = seeded_session(moto_url, REGION, FLEET)
    return session.client("ec2", endpoint_url=moto_url)


def _run(cli: Cli, ledger: Path, at: str, env: dict[str, str]) -> Any:
    args = ("run", "--region", REGION, "--ledger", str(ledger), "--at", at, "-o", "json")
    return cli(*args, env={"OFFHOURS_KINDS": "ec2", **env})


def _env(smtp_port: int, receiver: Receiver) -> dict[str, str]:
    return {
        "OFFHOURS_NOTICE_TRANSPORT": "smtp",
        "OFFHOURS_SMTP_HOST": "127.0.0.1",
        "OFFHOURS_SMTP_PORT": str(smtp_port),
        "OFFHOURS_SMTP_STARTTLS": "false",
        "OFFHOURS_NOTICE_CHANNELS": (
            f"web=slack:{receiver.url}/slack/web,web=teams:{receiver.url}/teams/web"
        ),
    }


def test_a_line_break_in_a_name_leaves_every_notice_sent_and_the_run_whole(
    ec2: Any, moto_url: str, tmp_path: Path, smtp_port: int, inbox: Inbox, receiver: Receiver
) -> None:
    """Issue 22: with ``Name="x\\r\\nY: z"`` due for a notice, building the subject raised,
    the run exited 1, every notice of the target stayed ``claimed`` and the lease held.
    Now: all three owners get one message each, no header is forged, the bad name is
    reported as a warning, the lease is released and the stop 15 minutes later goes on."""
    home = tmp_path / "home"
    home.mkdir()
    cli, ledger, env = Cli(moto_url, home), tmp_path / "ledger", _env(smtp_port, receiver)
    proc = _run(cli, ledger, AT, env)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert {n["status"] for n in report["notices"]} == {"sent"}
    assert sorted(r for m in inbox.mail for r in m.rcpt) == [
        "alice@example.com",
        "bob@example.com",
        "carol@example.com",
    ]
    [bob] = inbox.to("bob@example.com")
    assert bob["Subject"] == "offhours: x Y: z stops at 19:00 UTC"
    assert bob["Y"] is None  # no header was injected
    assert "holds line breaks or control characters" in proc.stderr
    # The bad resource is named, escaped, on one line (EC2's XML turns CR LF into LF).
    assert "its name 'x\\nY: z'" in proc.stderr and len(proc.stderr.splitlines()) == 1
    state = TargetState.from_json(
        LocalStore(ledger).get(state_key("aws", "123456789012", REGION)) or b""
    )
    assert state.lease is None
    assert {m.status for m in state.notices.values()} == {"sent"}
    # The next runs are not locked out: nothing twice, then every box stops.
    again = _run(cli, ledger, LATER, env)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["notices"] == [] and len(inbox.mail) == 3
    stop = _run(cli, ledger, STOP, env)
    assert stop.returncode == 0, stop.stderr
    assert set(instance_states(ec2).values()) == {"stopped"}


def test_names_are_text_in_slack_and_teams_never_markup(
    ec2: Any, moto_url: str, tmp_path: Path, smtp_port: int, inbox: Inbox, receiver: Receiver
) -> None:
    """Issue 22: a name ``[Keep running](https://evil.example/t)`` was a live link in the
    Teams card (a TextBlock renders Markdown) and ``<!channel>`` went raw into Slack's
    top-level ``text``. Teams: every name is a TextRun ("Markdown is not supported",
    Adaptive Cards schema 1.2, learn.microsoft.com/adaptive-cards/schema-explorer/
    text-run); Slack: ``&``, ``<``, ``>`` escaped as api.slack.com/reference/surfaces/
    formatting#escaping documents, in ``text`` and in every mrkdwn block."""
    home = tmp_path / "home"
    home.mkdir()
    proc = _run(Cli(moto_url, home), tmp_path / "ledger", AT, _env(smtp_port, receiver))
    assert proc.returncode == 0, proc.stderr
    [slack] = receiver.on("/slack/web")
    body = json.loads(slack.body)
    mrkdwn = [body["text"]] + [b["text"]["text"] for b in body["blocks"] if "text" in b]
    assert not any("<!" in text for text in mrkdwn)
    assert any("&lt;!channel&gt; hi" in text for text in mrkdwn)
    [teams] = receiver.on("/teams/web")
    card = json.loads(teams.body)["attachments"][0]["content"]
    assert not [b for b in card["body"] if b["type"] == "TextBlock"]  # no Markdown at all
    runs = [i["text"] for b in card["body"] if b["type"] == "RichTextBlock" for i in b["inlines"]]
    assert "[Keep running](https://evil.example/t)" in runs
    assert "x Y: z" in runs


def test_the_console_scripts_table_keeps_each_name_on_its_own_row(
    ec2: Any, moto_url: str, tmp_path: Path
) -> None:
    """A name with a line break printed raw would add a forged row (``Y: z …``) to the
    table people and ``grep`` read: each cell is one line."""
    home = tmp_path / "home"
    home.mkdir()
    args = ("plan", "--region", REGION, "--at", STOP)
    proc = Cli(moto_url, home)(*args, env={"OFFHOURS_KINDS": "ec2"})
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert not [line for line in lines if line.lstrip().startswith("Y: z")]
    assert [line for line in lines if "x Y: z" in line]
    # One row per instance (wrapped reasons continue on indented lines).
    assert len([line for line in lines if line.split()[0] == "ec2"]) == len(FLEET)
