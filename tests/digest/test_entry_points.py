"""``offhours digest`` and the weekly Lambda handler, end to end on a local ledger."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest
from digest_week import Week

from functions.cli.main import main


def test_cli_preview_writes_the_digest_and_prints_the_totals(
    week: Week, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "preview" / "digest.html"
    code = main(
        [
            "digest",
            "--week",
            "2026-W48",
            "--ledger",
            week.root,
            "--preview",
            str(out),
            "--at",
            "2026-11-30T07:00:00Z",
            "--tz",
            "Europe/London",
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "2026-W48: saved 160.50 of 420.00 USD (38.2%), 3 team digests" in printed
    assert "$160.50" in out.read_text()
    assert not list(out.parent.glob("*.png"))  # the chart is HTML bars, not an image
    assert (out.parent / "digest-team-web.html").exists()


def test_cli_window_by_days_is_the_same_week(
    week: Week, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--from DAY --to DAY`` is the window (as for ``ledger show``), never addresses:
    Monday to Sunday of W48 reports W48's numbers."""
    out = tmp_path / "digest.html"
    args = ["--ledger", week.root, "--preview", str(out), "--at", "2026-11-30T07:00:00Z"]
    code = main(
        ["digest", "--from", "2026-11-23", "--to", "2026-11-29", *args, "--tz", "Europe/London"]
    )
    assert code == 0
    assert "2026-W48: saved 160.50 of 420.00 USD (38.2%)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--week", "2026-W99", "--preview", "x.html"], "ISO week"),
        (["--week", "2026-W48"], "nothing to do"),
        (["--week", "2026-W48", "--preview", "x.html", "--tz", "Mars/Olympus"], "time zone"),
        # The old spellings of the addresses are refused, naming the new ones.
        (["--from", "ops@example.com", "--preview", "x.html"], "--mail-from"),
        (["--week", "2026-W48", "--to", "a@example.com", "--send"], "--mail-to"),
        (["--from", "2026-11-24", "--to", "2026-11-30", "--preview", "x.html"], "whole weeks"),
        (
            [
                "--week",
                "2026-W48",
                "--from",
                "2026-11-23",
                "--to",
                "2026-11-29",
                "--preview",
                "x.html",
            ],
            "not both",
        ),
    ],
)
def test_cli_reports_usage_errors_in_one_line(
    week: Week, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["digest", "--ledger", week.root, *args]) == 2
    assert message in capsys.readouterr().err


def test_lambda_handler_sends_last_weeks_digest(
    week: Week, aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.clouds.aws_lambda import digest_handler

    boto3.client("ses", region_name="eu-west-1").verify_email_identity(
        EmailAddress="offhours@example.com"
    )
    monkeypatch.setenv("OFFHOURS_LEDGER", week.root)
    monkeypatch.setenv("OFFHOURS_DIGEST_SENDER", "offhours@example.com")
    monkeypatch.setenv("OFFHOURS_DIGEST_TO", "finops@example.com")
    monkeypatch.setenv("OFFHOURS_SES_REGION", "eu-west-1")
    context = SimpleNamespace(
        function_name="offhours-digest",
        memory_limit_in_mb=512,
        invoked_function_arn="arn:aws:lambda:eu-west-1:123456789012:function:offhours-digest",
        aws_request_id="req-1",
    )
    result = digest_handler({"scheduled_time": "2026-11-30T07:00:00Z"}, context)
    assert result["week"] == "2026-W48"
    assert result["saved"] == week.saved
    assert result["would_have_cost"] == week.would
    assert result["sent"] == ["fleet", "team web"]  # web has an owner tag; ml and data none
    assert len(result["skipped"]) == 2
