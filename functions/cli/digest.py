"""``offhours digest``: render the weekly savings digest, preview it, send it."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from functions.cli.main import UsageError, instant


def register(subparsers: Any) -> None:
    digest = subparsers.add_parser("digest", help="the weekly savings digest (preview or send)")
    digest.add_argument("--week", help="ISO week, e.g. 2026-W48 (default: last full week)")
    digest.add_argument("--from", dest="since", metavar="DAY", help="first day (a Monday)")
    digest.add_argument("--to", dest="until", metavar="DAY", help="last day (the Sunday after)")
    digest.add_argument("--ledger", help="ledger location: a path, s3://, gs:// or azblob://")
    digest.add_argument("--preview", type=Path, help="write the digest to this .html file")
    digest.add_argument("--send", action="store_true", help="email the digests")
    digest.add_argument("--team-key", help="tag that names the team (default: team)")
    digest.add_argument("--recipients", help="YAML file: overall, teams, default addresses")
    digest.add_argument("--group-by", dest="group_tags", help="tag keys to group by (a,b,c)")
    digest.add_argument("--tz", help="reporting time zone (default: OFFHOURS_DEFAULT_TZ or UTC)")
    digest.add_argument("--inventory", help="JSON inventory file for opportunities")
    digest.add_argument("--protected", help="never-touch tags, as for run (OFFHOURS_PROTECTED)")
    digest.add_argument(
        "--catalog",
        action="append",
        help="schedule catalog directory (repeatable) for grouping by schedule",
    )
    digest.add_argument(
        "--mail-to", dest="to", help="addresses for the fleet digest (comma-separated)"
    )
    digest.add_argument("--mail-from", dest="sender", help="sender address")
    digest.add_argument("--transport", choices=("ses", "smtp"), help="how to send")
    digest.add_argument("--smtp-host", help="SMTP server (STARTTLS on --smtp-port)")
    digest.add_argument("--smtp-port", help="SMTP port (default 587)")
    digest.add_argument("--at", help="report as of this instant (ISO 8601 with offset)")
    digest.set_defaults(handler=_digest)


def week_of(args: argparse.Namespace) -> str | None:
    """The week asked for: ``--week``, or ``--from``/``--to`` naming its Monday and
    Sunday (the digest reports whole weeks: its trend and team lines are weekly). An
    address given to ``--from``/``--to`` is the old spelling: refused with the new one."""
    for flag, text in (("--from", args.since), ("--to", args.until)):
        if text and "@" in text:
            raise UsageError(
                f"{flag} {text!r}: {flag} is a day now (YYYY-MM-DD); "
                f"give addresses with --mail-{flag[2:]}"
            )
    if not (args.since or args.until):
        return str(args.week) if args.week else None
    if args.week:
        raise UsageError("give either --week or --from/--to, not both")
    if not (args.since and args.until):
        raise UsageError("give both --from (a Monday) and --to (the Sunday after)")
    first, last = _day(args.since, "--from"), _day(args.until, "--to")
    if first.weekday() != 0 or last != first + timedelta(days=6):
        raise UsageError(
            f"--from {first} --to {last}: the digest reports whole weeks, Monday to Sunday "
            f"(for example --from {first - timedelta(days=first.weekday())} "
            f"--to {first - timedelta(days=first.weekday()) + timedelta(days=6)}); "
            "ledger show takes any days"
        )
    year, week, _ = first.isocalendar()
    return f"{year}-W{week:02d}"


def _day(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as err:
        raise UsageError(f"{flag} {text!r} is not a date (YYYY-MM-DD)") from err


def _digest(args: argparse.Namespace) -> int:
    from functions.jobs.digest import DigestError, DigestSettings, previous_week, run_digest
    from functions.readonly_store import holds_ledger, open_readonly
    from functions.settings import ConfigError
    from providers.store import StoreError

    if not args.send and args.preview is None:
        raise UsageError("nothing to do: add --preview FILE.html and/or --send")
    flags = {
        name: getattr(args, name)
        for name in (
            "ledger",
            "team_key",
            "recipients",
            "group_tags",
            "tz",
            "inventory",
            "protected",
            "catalog",
            "to",
            "sender",
            "transport",
            "smtp_host",
            "smtp_port",
        )
    }
    now = instant(args.at)
    try:
        settings = DigestSettings.from_sources(flags, os.environ)
        store = open_readonly(settings.ledger, settings.store_endpoint_url)
        # A typo'd location must not be reported (or emailed) as "$0 saved".
        if not holds_ledger(store):
            raise UsageError(f"no ledger at {store.url}: no run has written there (check --ledger)")
        week = week_of(args) or previous_week(now, settings.tz)
        run = run_digest(settings, week, args.send, args.preview, now=now, store=store)
    except (DigestError, ConfigError, StoreError) as err:
        raise UsageError(str(err)) from err
    except OSError as err:
        if not err.filename:  # not a file: a mail server refusing, say; reported upstream
            raise
        raise UsageError(f"cannot write {err.filename}: {err.strerror}") from err
    totals = run.digest.overall.report.totals
    print(
        f"{run.week}: saved {totals.saved:,.2f} of {totals.would:,.2f} "
        f"{run.digest.overall.report.currency} ({totals.percent:.1f}%), "
        f"{len(run.digest.teams)} team digests"
    )
    for path in run.preview:
        print(f"preview: {path}")
    for name, to in run.sent:
        print(f"sent: {name} -> {', '.join(to)}")
    for problem in run.skipped:
        print(f"offhours: not sent: {problem}", file=sys.stderr)
    return 1 if args.send and run.skipped else 0
