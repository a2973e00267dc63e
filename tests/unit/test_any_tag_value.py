"""A property of the whole pipeline (issue 22): whatever a tag or a name holds (any
Unicode, line breaks, controls, markup of Slack, Teams, HTML or spreadsheets), planning,
notices, the digest and the export raise nothing, inject nothing into the channel they
write to, and every other resource is still scheduled. Real code throughout: the planner,
the notice renderers with ``functions.mail.build_message`` (the message SMTP and SES
send), the digest's ``compose`` over a ledger in a local store, ``ledger export``."""

from __future__ import annotations

import csv
import io
import json
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import schedules
from functions.jobs.digest import DigestSettings, Window, compose
from functions.jobs.notices import render
from functions.jobs.notices.model import ChannelKind, NoticeConfig, Recipient
from functions.jobs.notices.planning import due_notices, group
from functions.jobs.planner import Policy, plan
from functions.mail import build_message
from ledger.book import read_records
from ledger.export import write_rows
from providers.base import Action, Price, Resource, ResourceState
from providers.store import LocalStore

sys.path.insert(0, str(Path(__file__).parents[1] / "ledger"))

from ledger_rows import booking, parse_csv_row
from ledger_rows import write_rows as write_ledger

MONDAY = datetime(2026, 11, 23, tzinfo=UTC)  # office-hours in UTC: stop at 19:00
AT_1850 = MONDAY + timedelta(hours=18, minutes=50)
NIGHT = MONDAY + timedelta(hours=22)
CATALOG = schedules.load_catalog()
TEAM = Recipient(ChannelKind.SLACK, "https://hooks.example/web", "team web")
CONFIG = NoticeConfig(email=True, channels={"web": (TEAM,)})
ODD_VALUES = [
    "x\r\nY: z",
    "x\nBcc: victim@example.com",
    "[Keep running](https://evil.example/t)",
    "<!channel> <@U123> <https://evil.example|click>",
    '=HYPERLINK("https://evil.example","x")',
    "+cmd|' /C calc'!A0",
    "<script>alert(1)</script>",
    "pro\u200bd",
    "\u202eevil",
    "\x00\x1b[31m",
    "١٢",
    "",
]
TEXT = st.one_of(
    st.sampled_from(ODD_VALUES), st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
)
HEADERS = {"Subject", "From", "To", "Date", "Message-ID", "MIME-Version", "Content-Type"}


def resource(rid: str, name: str, tags: dict[str, str]) -> Resource:
    return Resource(
        "aws", "111111111111", "eu-west-1", "ec2", rid, name, tags, ResourceState.RUNNING,
        size="t3.medium", price=Price(0.05, "USD", "bundled:test"),
    )  # fmt: skip


def fleet(name: str, tags: dict[str, str]) -> tuple[Resource, Resource]:
    base = {"schedule": "office-hours", "owner": "alice@example.com", "team": "web"}
    return resource("i-odd", name, {**base, **tags}), resource("i-plain", "dev-ok", base)


def assert_mail_is_clean(subject: str, text: str, html: str) -> None:
    mime = build_message(subject, "offhours@example.com", ["alice@example.com"], text, html)
    parsed = message_from_bytes(mime.as_bytes(), policy=policy.default)
    assert set(parsed.keys()) <= HEADERS  # no header forged by a name
    assert "\n" not in str(parsed["Subject"]) and "\r" not in str(parsed["Subject"])
    assert [str(a) for a in parsed["To"].addresses] == ["alice@example.com"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=TEXT, tags=st.dictionaries(TEXT, TEXT, max_size=3))
def test_planning_and_notices_take_any_tag_value(name: str, tags: dict[str, str]) -> None:
    odd, plain = fleet(name, tags)
    at_night = {d.resource.id: d for d in plan([odd, plain], NIGHT, None, CATALOG, Policy())}
    assert at_night["i-plain"].action is Action.STOP
    before = plan([odd, plain], AT_1850, None, CATALOG, Policy())
    notices, _ = due_notices([odd, plain], before, AT_1850, CATALOG, Policy(), CONFIG)
    assert "i-plain" in {n.resource.id for n in notices}  # still told
    ctx = render.Context(AT_1850, lambda r, at: [("keep running 1 h", "https://s.example/?t=x")])
    for message in group(notices):
        assert_mail_is_clean(
            render.subject(message), render.text(message, ctx), render.email_html(message, ctx)
        )
        slack = render.slack(message, ctx)
        texts = [slack["text"]] + [b["text"]["text"] for b in slack["blocks"] if "text" in b]
        assert not any("<" in t or ">" in t for t in texts)  # no <!channel>, <url|x>
        card = render.teams(message, ctx)["attachments"][0]["content"]
        assert all(b["type"] in ("RichTextBlock", "ActionSet") for b in card["body"])
        runs = [i["text"] for b in card["body"] for i in b.get("inlines", [])]
        assert not any("\n" in t or "\r" in t for t in runs)
        json.loads(render.encode(render.webhook(message, ctx, 1_800_000_000)))
        for line in render.text(message, ctx).splitlines():
            assert not line.startswith("Y:") and not line.startswith("Bcc:")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=TEXT, team=TEXT, tags=st.dictionaries(TEXT, TEXT, max_size=3))
def test_the_digest_and_the_export_take_any_tag_value(
    name: str, team: str, tags: dict[str, str]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = LocalStore(folder)
        night = (MONDAY + timedelta(hours=19), MONDAY + timedelta(hours=32))
        write_ledger(
            store,
            [
                booking("i-odd", *night, 0.5, name=name, tags={**tags, "team": team}),
                booking("i-plain", *night, 0.5, name="dev-ok", tags={"team": "web"}),
            ],
        )
        end = MONDAY + timedelta(days=7)
        digest = compose(store, Window(MONDAY, end, "UTC", end), DigestSettings())
        assert digest.overall.report.totals.resources == 2  # both nights booked and counted
        assert "dev-ok" in digest.overall.text
        for item in [digest.overall, *digest.teams]:
            assert_mail_is_clean(item.subject, item.text, item.html)
            assert "<script>" not in item.html
        out = io.StringIO(newline="")
        rows = list(read_records(store))
        write_rows(rows, out, "csv")
        records = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
        assert len(records) == 2
        for record in records:
            for cell in record.values():
                assert not cell.startswith(("=", "+", "@", "\t", "\r"))
        assert {r["ResourceName"] for r in map(parse_csv_row, records)} == {name or "i-odd",
                                                                             "dev-ok"}  # fmt: skip
