"""The SES part of a run's billable calls: SES bills each recipient of each message
(aws.amazon.com/ses/pricing, "per 1,000 emails"); notices reach each recipient once per
target (``functions/jobs/notices/planning.group``)."""

from __future__ import annotations

from datetime import UTC, datetime

from functions.jobs.notices.model import ChannelKind, Notice, NoticeOutcome, Recipient, Status
from functions.jobs.reconcile import RunReport, TargetReport
from functions.jobs.run_calls import mail_counts
from providers.base import Resource, ResourceState, Target

MON = datetime(2026, 11, 23, tzinfo=UTC)


def test_ses_bills_one_email_per_recipient_a_target_mails() -> None:
    alice = Recipient(ChannelKind.EMAIL, "alice@example.com")
    bob = Recipient(ChannelKind.EMAIL, "bob@example.com")
    slack = Recipient(ChannelKind.SLACK, "https://hooks.example.com/x", "ml")

    def outcome(name: str, status: Status, *to: Recipient) -> NoticeOutcome:
        box = Resource("aws", "1", "eu-west-1", "ec2", name, name, {}, ResourceState.RUNNING)
        notice = Notice(box, MON, "office-hours", "UTC", "off", recipients=to)
        sent = tuple(str(r) for r in to) if status is Status.SENT else ()
        return NoticeOutcome(notice, status, sent)

    first = TargetReport(Target("aws", "1", "eu-west-1"))
    first.notices = [
        outcome("a", Status.SENT, alice, slack),
        outcome("b", Status.SENT, alice, bob),
        outcome("c", Status.FAILED, bob),
    ]
    second = TargetReport(Target("aws", "1", "us-east-1"))
    second.notices = [outcome("d", Status.SENT, alice)]
    report = RunReport("run", MON, False, [first, second])
    assert mail_counts(report, "ses") == {"ses_messages": 3}
    assert mail_counts(report, "smtp") == {}
