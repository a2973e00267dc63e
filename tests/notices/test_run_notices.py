"""Notices inside real runs: moto's EC2, the local ledger store, a real SMTP server
(aiosmtpd) and a webhook receiver on loopback. What was received is parsed and checked
against the plan; retries, later runs in the same window and dry runs send nothing."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from notice_kit import SECRET, Inbox, Receiver, html_of, links, text_of

from functions.jobs.notices import build_step
from functions.jobs.notices.model import Status
from functions.jobs.notices.signing import verify
from functions.jobs.reconcile import Job, RunReport, reconcile
from functions.settings import Settings
from functions.wiring import build_job, connect
from ledger.run_state import TargetState, state_key
from sandbox.aws_fleet import Box, instance_states, launch

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)  # office-hours in UTC: stop at 19:00
AT_1850 = MONDAY + timedelta(hours=18, minutes=50)
STOP = MONDAY + timedelta(hours=19)
OFFICE = {"schedule": "office-hours"}
ALICE, BOB = "alice@example.com", "bob@example.com"
FLEET = [
    Box("dev-a", "t3.medium", {**OFFICE, "owner": ALICE, "team": "web"}),
    Box("dev-b", "t3.large", {**OFFICE, "owner": ALICE}),
    Box("dev-c", "m5.large", {**OFFICE, "owner": BOB, "team": "ml"}),
    Box("bad-owner", "t3.small", {**OFFICE, "owner": "not-an-address"}),
    Box("prod", "t3.small", {**OFFICE, "owner": ALICE, "environment": "prod"}),
    Box("late", "t3.small", {"schedule": "mon-fri 08:00-22:00 UTC", "owner": ALICE}),
]


@pytest.fixture
def settings(tmp_path: Path, smtp_port: int, receiver: Receiver) -> Settings:
    return Settings(
        providers=("aws",),
        ledger=str(tmp_path / "ledger"),
        kinds=("ec2",),
        notice_transport="smtp",
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_starttls=False,
        notice_channels=(
            f"web=slack:{receiver.url}/slack/web",
            f"web=teams:{receiver.url}/teams/web",
            f"ml=json:{receiver.url}/json/ml",
            f"data=json:{receiver.url}/broken/data",
        ),
        notice_secret=SECRET,
    ).replace(aws_regions=("eu-west-1",))


def make_job(settings: Settings, clock: Any) -> Job:
    job = build_job(settings, clock, connections={"aws": connect(settings, "aws")})
    return replace(job, notices=build_step(settings, links=links))


def run(job: Job, clock: Any, when: datetime) -> RunReport:
    clock.now = when
    return reconcile(job)


def state_of(job: Job) -> TargetState:
    data = job.store.get(state_key("aws", "123456789012", "eu-west-1"))
    assert data is not None
    return TargetState.from_json(data)


def test_one_message_per_owner_and_channel_checked_against_the_plan(
    ec2: Any, settings: Settings, clock: Any, inbox: Inbox, receiver: Receiver
) -> None:
    for box in FLEET:
        launch(ec2, box)
    report = run(make_job(settings, clock), clock, AT_1850)

    planned = {o.notice.resource.name: o for o in report.targets[0].notices}
    assert sorted(planned) == ["bad-owner", "dev-a", "dev-b", "dev-c"]
    assert {o.notice.stop_at for o in planned.values()} == {STOP}
    # Email: exactly one message per owner, naming that owner's resources and links.
    assert sorted(r for m in inbox.mail for r in m.rcpt) == ["alice@example.com", "bob@example.com"]
    [alice] = inbox.to("alice@example.com")
    assert alice["Subject"] == "offhours: 2 of your resources stop from 19:00 UTC"
    text, html = text_of(alice), html_of(alice)
    for name in ("dev-a", "dev-b"):
        assert name in text and name in html
        [url] = [u for n, u in links(_resource(report, name), STOP) if n == "keep running 1 h"]
        assert url in text and url.replace("&", "&amp;") in html
    assert "prod" not in text and "late" not in text
    [bob] = inbox.to("bob@example.com")
    assert "dev-c" in text_of(bob) and "dev-a" not in text_of(bob)
    # Team channels: Slack and Teams bodies for web, a signed JSON body for ml.
    [slack] = receiver.on("/slack/web")
    body = json.loads(slack.body)
    assert body["text"] == "offhours: dev-a stops at 19:00 UTC"
    buttons = [e for b in body["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [b["text"]["text"] for b in buttons] == ["keep running 1 h", "skip tonight"]
    [teams] = receiver.on("/teams/web")
    card = json.loads(teams.body)["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    texts = " ".join(i["text"] for b in card["content"]["body"] for i in b.get("inlines", []))
    assert "dev-a" in texts and "dev-b" not in texts
    [signed] = receiver.on("/json/ml")
    verify(SECRET.encode(), signed.body, signed.headers, now=time.time())
    payload = json.loads(signed.body)
    assert [(n["name"], n["stop_at"]) for n in payload["notices"]] == [
        ("dev-c", "2026-11-23T19:00:00Z")
    ]
    assert [link["label"] for link in payload["notices"][0]["links"]] == [
        "keep running 1 h",
        "skip tonight",
    ]
    # The bad owner is reported; the others were still told. Nothing was stopped.
    assert planned["bad-owner"].status is Status.FAILED
    assert "not-an-address" in planned["bad-owner"].error
    assert {o.status for n, o in planned.items() if n != "bad-owner"} == {Status.SENT}
    assert any("bad-owner" in w and "not an email address" in w for w in report.warnings)
    assert set(instance_states(ec2).values()) == {"running"}
    marks = state_of(make_job(settings, clock)).notices
    assert sorted(m.status for m in marks.values()) == ["failed", "sent", "sent", "sent"]


def _resource(report: RunReport, name: str) -> Any:
    return next(d.resource for d in report.decisions if d.resource.name == name)


def test_a_retry_and_a_later_run_in_the_window_send_nothing_twice(
    ec2: Any, settings: Settings, clock: Any, inbox: Inbox, receiver: Receiver
) -> None:
    for box in FLEET[:3]:
        launch(ec2, box)
    job = make_job(settings, clock)
    run(job, clock, AT_1850)
    sent = (len(inbox.mail), len(receiver.posts))
    assert sent == (2, 3)
    retry = run(job, clock, AT_1850)  # the same instant, the same state: a retried run
    later = run(job, clock, AT_1850 + timedelta(minutes=5))
    assert (len(inbox.mail), len(receiver.posts)) == sent
    assert retry.targets[0].notices == [] and later.targets[0].notices == []
    # The stop itself goes ahead and tells nobody again; the next evening is a new stop.
    run(job, clock, STOP + timedelta(minutes=5))
    assert set(instance_states(ec2).values()) == {"stopped"}
    assert (len(inbox.mail), len(receiver.posts)) == sent


def test_a_dry_run_shows_the_notices_and_sends_and_claims_nothing(
    ec2: Any, settings: Settings, clock: Any, inbox: Inbox, receiver: Receiver
) -> None:
    for box in FLEET[:3]:
        launch(ec2, box)
    dry = make_job(settings.replace(dry_run=True), clock)
    report = run(dry, clock, AT_1850)
    assert sorted(o.notice.resource.name for o in report.targets[0].notices) == [
        "dev-a",
        "dev-b",
        "dev-c",
    ]
    assert {o.status for o in report.targets[0].notices} == {Status.DUE}
    assert inbox.mail == [] and receiver.posts == []
    assert dry.store.get(state_key("aws", "123456789012", "eu-west-1")) is None
    # The real run afterwards still sends them, once.
    run(make_job(settings, clock), clock, AT_1850)
    assert len(inbox.mail) == 2


def test_a_failing_webhook_is_recorded_not_raised_and_not_retried(
    ec2: Any, settings: Settings, clock: Any, inbox: Inbox, receiver: Receiver
) -> None:
    launch(ec2, Box("etl", "t3.small", {"schedule": "office-hours", "team": "data"}))
    job = make_job(settings, clock)
    report = run(job, clock, AT_1850)
    [outcome] = report.targets[0].notices
    assert outcome.status is Status.FAILED and "HTTP 500" in outcome.error
    assert report.errors == []  # the run itself went through
    [mark] = state_of(job).notices.values()
    assert mark.status == "failed" and "HTTP 500" in mark.detail
    run(job, clock, AT_1850 + timedelta(minutes=5))
    assert len(receiver.on("/broken/data")) == 1


class Crash(BaseException):
    """A run dying between the claim and the send (the process goes: no ``Exception``
    handler sees it, as none would see a SIGKILL)."""


def test_a_run_that_dies_after_the_claim_loses_the_notice_rather_than_send_it_twice(
    ec2: Any, settings: Settings, clock: Any, inbox: Inbox
) -> None:
    launch(ec2, FLEET[1])
    job = make_job(settings, clock)
    assert job.notices is not None

    class Dying:
        def send(self, message: Any) -> None:
            raise Crash("killed")

    dying = replace(
        job, notices=replace(job.notices, senders=replace(job.notices.senders, mail=Dying()))
    )
    with pytest.raises(Crash):
        run(dying, clock, AT_1850)
    [mark] = state_of(job).notices.values()
    assert mark.status == "claimed"
    run(job, clock, AT_1850 + timedelta(minutes=5))
    assert inbox.mail == []


def test_a_bug_while_notifying_one_recipient_is_that_notice_failing_not_the_run(
    ec2: Any, settings: Settings, clock: Any, inbox: Inbox
) -> None:
    """Issue 22: an unexpected exception for one recipient (here the mail transport
    raising a ``RuntimeError`` for bob only) left every notice ``claimed``, the lease
    held and the run failed. Now bob's notice is failed with the cause, alice is still
    mailed through the real SMTP server, the lease is released, the run has no error."""
    for box in FLEET[:3]:
        launch(ec2, box)
    job = make_job(settings, clock)
    assert job.notices is not None and job.notices.senders.mail is not None
    real = job.notices.senders.mail

    class Buggy:
        def send(self, message: Any) -> None:
            if BOB in str(message["To"]):
                raise RuntimeError("transport bug")
            real.send(message)

    buggy = replace(
        job, notices=replace(job.notices, senders=replace(job.notices.senders, mail=Buggy()))
    )
    report = run(buggy, clock, AT_1850)
    assert report.errors == []
    outcomes = {o.notice.resource.name: o for o in report.targets[0].notices}
    assert outcomes["dev-c"].status is Status.FAILED
    assert "RuntimeError: transport bug" in outcomes["dev-c"].error
    assert {outcomes["dev-a"].status, outcomes["dev-b"].status} == {Status.SENT}
    assert [m.rcpt for m in inbox.mail] == [[ALICE]]
    state = state_of(job)
    assert state.lease is None
    assert sorted(m.status for m in state.notices.values()) == ["failed", "sent", "sent"]
