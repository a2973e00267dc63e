"""The demo's notices: one simulated evening on the embedded Azure (the fastest world)
writes the emails and webhook bodies it would have sent to ``notices/`` next to the
ledger, each once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from functions.cli.demo import simulate

EVENING = datetime(2026, 11, 16, 18, 30, tzinfo=UTC)  # office-hours stop at 19:00 London


def test_one_demo_evening_writes_each_teams_notice_once(tmp_path: Path) -> None:
    (tmp_path / "ledger").mkdir()
    simulate("azure", tmp_path / "ledger", EVENING, EVENING + timedelta(minutes=30))
    folder = tmp_path / "notices"
    by_channel = {p.name.split("-", 1)[1].rsplit("-", 1)[0]: p for p in folder.iterdir()}
    assert sorted(by_channel) == [
        "email-platform-team-example-com",
        "email-web-team-example-com",
        "hooks-example-offhours-data",
        "hooks-slack-example-services-web",
        "teams-example-webhooks-ml",
    ]  # one file each: the 18:30 run was early, the 19:00 run stops
    assert {p.name[:15] for p in by_channel.values()} == {"20261116T1845Z-"}
    mail = message_from_bytes(
        by_channel["email-web-team-example-com"].read_bytes(), policy=policy.default
    )
    assert isinstance(mail, EmailMessage) and mail["To"] == "web-team@example.com"
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None and "dev-web-1" in body.get_content()
    signed = json.loads(by_channel["hooks-example-offhours-data"].read_text())
    assert signed["schema"] == "offhours.notice/v1"
    assert {n["stop_at"] for n in signed["notices"]} == {"2026-11-16T19:00:00Z"}
    teams = json.loads(by_channel["teams-example-webhooks-ml"].read_text())
    assert teams["attachments"][0]["content"]["type"] == "AdaptiveCard"
