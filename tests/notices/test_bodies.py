"""Bodies, signatures, channel settings and the state field: pure checks."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from notice_kit import SECRET, links

from functions.jobs.notices import render
from functions.jobs.notices.config import ChannelError, parse_channels
from functions.jobs.notices.model import ChannelKind, Message, Notice, Recipient
from functions.jobs.notices.send import UrllibPoster, WebhookError, redact
from functions.jobs.notices.signing import SignatureError, signed_headers, verify
from functions.settings import ConfigError, Settings
from ledger.run_state import NoticeMark, TargetState
from providers.base import Resource, ResourceState

NOW = datetime(2026, 11, 23, 18, 50, tzinfo=UTC)
STOP = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)


def notice(name: str, zone: str = "Europe/London") -> Notice:
    resource = Resource(
        "aws", "1", "eu-west-1", "ec2", f"i-{name}", name, {}, ResourceState.RUNNING
    )
    return Notice(resource, STOP, "office-hours", zone, "office-hours: off since Mon 19:00")


SLACK = Recipient(ChannelKind.SLACK, "https://hooks.slack.example/T/B/secret", "team web")
CTX = render.Context(NOW, links)


def test_the_email_text_names_each_resource_local_stop_time_and_links() -> None:
    message = Message(Recipient(ChannelKind.EMAIL, "a@example.com"), (notice("a"), notice("b")))
    text = render.text(message, CTX)
    assert "stops Mon 23 Nov 19:00 Europe/London, in 10 min (office-hours)" in text
    assert "keep running 1 h: https://offhours.example/keep?r=i-a&at=20261123T1900Z&for=1h" in text
    assert "schedule-override=running-until-20261123t2100z" in text
    assert render.subject(message) == "offhours: 2 of your resources stop from 19:00 Europe/London"
    no_links = render.text(message, render.Context(NOW))
    assert "https://" not in no_links and "use a link" not in no_links


def test_html_escapes_names_and_urls() -> None:
    message = Message(Recipient(ChannelKind.EMAIL, "a@example.com"), (notice("<b>x</b>"),))
    html = render.email_html(message, CTX)
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "&amp;for=1h" in html


def test_slack_body_escapes_mrkdwn_and_carries_link_buttons() -> None:
    body = render.slack(Message(SLACK, (notice("a<&>b"),)), CTX)
    assert "a&lt;&amp;&gt;b" in body["blocks"][1]["text"]["text"]
    [actions] = [b for b in body["blocks"] if b["type"] == "actions"]
    expected = [url for _, url in links(notice("a<&>b").resource, STOP)]
    assert [e["url"] for e in actions["elements"]] == expected


def test_teams_body_is_an_adaptive_card_with_open_url_actions() -> None:
    body = render.teams(Message(SLACK, (notice("a"),)), CTX)
    card = body["attachments"][0]["content"]
    assert (body["type"], card["type"], card["version"]) == ("message", "AdaptiveCard", "1.4")
    [actions] = [b for b in card["body"] if b["type"] == "ActionSet"]
    assert {a["type"] for a in actions["actions"]} == {"Action.OpenUrl"}


def test_signed_json_verifies_and_rejects_tampering_and_replays() -> None:
    message = Message(Recipient(ChannelKind.JSON, "https://h.example/x", "team ml"), (notice("a"),))
    sent_at = 1_800_000_000
    body = render.encode(render.webhook(message, CTX, sent_at))
    headers = signed_headers(SECRET.encode(), body, sent_at)
    assert headers["X-Offhours-Signature"].startswith("sha256=")
    verify(SECRET.encode(), body, headers, now=sent_at + 10)
    with pytest.raises(SignatureError, match="does not match"):
        verify(SECRET.encode(), body.replace(b'"a"', b'"b"'), headers, now=sent_at)
    with pytest.raises(SignatureError, match="does not match"):
        verify(b"another key", body, headers, now=sent_at)
    with pytest.raises(SignatureError, match="too old"):
        verify(SECRET.encode(), body, headers, now=sent_at + 3600)
    moved = {**headers, "X-Offhours-Timestamp": str(sent_at + 3600)}
    with pytest.raises(SignatureError, match="differs"):
        verify(SECRET.encode(), body, moved, now=sent_at + 3600)
    assert json.loads(body)["id"] == message.id


@pytest.mark.parametrize(
    "change",
    [
        {"X-Offhours-Signature": "sha256=é" + "0" * 63},  # was a TypeError
        {"X-Offhours-Signature": "SHA256=" + "0" * 64},
        {"X-Offhours-Signature": ""},
        {"X-Offhours-Timestamp": "١٨٠٠٠٠٠٠٠٠"},  # Arabic-Indic digits: int() takes them
        {"X-Offhours-Timestamp": " 1800000000"},
        {"X-Offhours-Timestamp": "1_800_000_000"},
    ],
)
def test_a_signature_check_refuses_every_odd_header_as_a_signature_error(
    change: dict[str, str],
) -> None:
    """Issue 22: any failure is a refusal (a receiver's 400), never another exception."""
    message = Message(Recipient(ChannelKind.JSON, "https://h.example/x", "team ml"), (notice("a"),))
    sent_at = 1_800_000_000
    body = render.encode(render.webhook(message, CTX, sent_at))
    headers = {**signed_headers(SECRET.encode(), body, sent_at), **change}
    with pytest.raises(SignatureError):
        verify(SECRET.encode(), body, headers, now=sent_at)


def test_a_signed_sent_at_that_is_no_integer_is_refused() -> None:
    for sent_at in (b"true", b"1.8e9", b'"1800000000"'):
        body = b'{"sent_at":' + sent_at + b"}"
        headers = signed_headers(SECRET.encode(), body, 1)
        headers["X-Offhours-Timestamp"] = "1"
        with pytest.raises(SignatureError):
            verify(SECRET.encode(), body, headers, now=1)


def test_channel_settings_are_checked_before_anything_runs() -> None:
    channels = parse_channels(["web=slack:https://a.example/1", "web=email:web@example.com"])
    assert [c.kind for c in channels["web"]] == [ChannelKind.SLACK, ChannelKind.EMAIL]
    for bad in ("web", "web=pager:https://x", "web=slack:file:///etc/passwd", "web=email:nope"):
        with pytest.raises(ChannelError):
            parse_channels([bad])
    with pytest.raises(ConfigError, match="notice_secret"):
        Settings.from_sources({"notice_channels": "ml=json:https://h.example/x"})
    with pytest.raises(ConfigError, match="notice_minutes"):
        Settings.from_sources({"notice_minutes": "0"})
    with pytest.raises(ConfigError, match="notice_transport"):
        Settings.from_sources({"notice_transport": "pigeon"})


def test_the_poster_refuses_non_web_urls_and_redacts_webhook_secrets() -> None:
    with pytest.raises(WebhookError, match="not an http"):
        UrllibPoster().post("file:///etc/passwd", b"{}", {})
    assert redact("https://hooks.slack.com/services/T/B/secret") == "https://hooks.slack.com/…"


def test_state_objects_without_notices_still_load_and_marks_round_trip() -> None:
    old = b'{"version":2,"last_run":"2026-11-23T18:45:00Z","off":{},"intents":{}}'
    assert TargetState.from_json(old).notices == {}
    assert b"notices" not in TargetState.from_json(old).to_json()
    state = TargetState(notices={"k@t": NoticeMark("run-1", STOP, "sent", "sent to a")})
    again = TargetState.from_json(state.to_json())
    assert again.notices == state.notices
