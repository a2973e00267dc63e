"""``offhours plan | run | explain | wake``: the reconcile job from a terminal."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

from functions.cli import UsageError, instant
from functions.reconcile import RunReport, TargetReport, reconcile
from functions.settings import ConfigError, Settings


def add_settings_flags(parser: argparse.ArgumentParser) -> None:
    """Flags every job shares; each maps to a Settings field (flag > env > file)."""
    group = parser.add_argument_group("settings (flag > OFFHOURS_* env var > --config file)")
    group.add_argument("--config", help="YAML file of settings")
    group.add_argument("--provider", dest="providers", help="clouds: aws,gcp,azure")
    group.add_argument("--ledger", help="ledger location: a path, s3://, gs:// or azblob://")
    group.add_argument("--region", dest="aws_regions", help="AWS regions (comma-separated)")
    group.add_argument("--account", dest="aws_accounts", help="AWS account ids")
    group.add_argument("--role-name", dest="aws_role_name", help="role assumed in member accounts")
    group.add_argument("--project", dest="gcp_projects", help="GCP project ids")
    group.add_argument("--subscription", dest="azure_subscriptions", help="Azure subscription ids")
    group.add_argument("--tag-key", help="schedule tag key (default: schedule)")
    group.add_argument("--tz", dest="default_tz", help="default time zone for schedules")
    group.add_argument("--catalog", help="extra schedule catalog directories")
    group.add_argument("--kinds", help="only these kinds (e.g. ec2,rds)")
    group.add_argument("--protected", help="never-touch tags, e.g. environment=prod|production")
    group.add_argument("--at", help="act as if it were this instant (ISO 8601 with offset)")


def settings_from(args: argparse.Namespace, **overrides: Any) -> Settings:
    names = (
        "providers",
        "ledger",
        "aws_regions",
        "aws_accounts",
        "aws_role_name",
        "gcp_projects",
        "azure_subscriptions",
        "tag_key",
        "default_tz",
        "catalog",
        "kinds",
        "protected",
    )
    flags = {name: getattr(args, name, None) for name in names}
    flags.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings.from_sources(flags, os.environ, getattr(args, "config", None))
    except ConfigError as err:
        raise UsageError(str(err)) from err


def register(subparsers: Any) -> None:
    plan = subparsers.add_parser("plan", help="show what a run would do; changes nothing")
    add_settings_flags(plan)
    plan.set_defaults(handler=_plan)

    run = subparsers.add_parser("run", help="stop and start resources as their schedules say")
    add_settings_flags(run)
    run.add_argument("--dry-run", action="store_true", help="plan and report; change nothing")
    run.add_argument("--force", action="store_true", help="allow stopping over the share limit")
    run.set_defaults(handler=_run)

    explain = subparsers.add_parser("explain", help="why a resource is (or will be) on or off")
    explain.add_argument("resource", help="resource id or name")
    add_settings_flags(explain)
    explain.set_defaults(handler=_explain)

    wake = subparsers.add_parser("wake", help="bring resources back now, whatever the schedule")
    wake.add_argument("resources", nargs="+", help="resource ids or names")
    add_settings_flags(wake)
    wake.set_defaults(handler=_wake)


def _plan(args: argparse.Namespace) -> int:
    report = execute(settings_from(args, dry_run=True), instant(args.at))
    print_plan(report)
    return _exit_code(report)


def _run(args: argparse.Namespace) -> int:
    settings = settings_from(args, dry_run=args.dry_run or None, force=args.force or None)
    report = execute(settings, instant(args.at))
    print_plan(report)
    print_summary(report)
    return _exit_code(report)


def _wake(args: argparse.Namespace) -> int:
    report = execute(settings_from(args), instant(args.at), wake=frozenset(args.resources))
    woken = [r for r in report.results if "woken" in r.decision.reason]
    for result in woken:
        print(f"{result.resource.id}\t{result.outcome}\t{result.error or result.decision.reason}")
    if not woken:
        raise UsageError(
            f"nothing to wake among {', '.join(args.resources)} (not found or not off)"
        )
    return _exit_code(report)


def _explain(args: argparse.Namespace) -> int:
    from functions.explain import explain

    settings = settings_from(args, dry_run=True)
    report = execute(settings, instant(args.at))
    text = explain(report, args.resource, settings)
    if text is None:
        raise UsageError(f"no resource {args.resource!r} carries the {settings.tag_key!r} tag")
    print(text)
    return 0


def execute(
    settings: Settings,
    now: datetime,
    wake: frozenset[str] = frozenset(),
    clock: Callable[[], datetime] | None = None,
) -> RunReport:
    from functions.wiring import build_job
    from ledger.store import StoreError

    try:
        job = build_job(settings, clock or (lambda: now), wake=wake)
    except (ConfigError, StoreError) as err:
        raise UsageError(str(err)) from err
    except Exception as err:
        raise UsageError(_hint(err)) from err
    return reconcile(job, now, on_target_done=_progress() if sys.stderr.isatty() else None)


def _hint(err: Exception) -> str:
    name = type(err).__name__
    if name == "NoCredentialsError":
        return "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID, or run in a role"
    if name == "DefaultCredentialsError":
        return "no Google credentials found: run `gcloud auth application-default login`"
    if name == "ScheduleError":
        return f"schedule catalog: {err}"
    return f"{name}: {err}"


def _progress() -> Callable[[TargetReport], None]:
    done = [0]

    def tick(report: TargetReport) -> None:
        done[0] += 1
        print(f"\r{done[0]} targets done (last: {report.target})", end="", file=sys.stderr)

    return tick


def print_plan(report: RunReport) -> None:
    header = ("TARGET", "KIND", "RESOURCE", "NAME", "STATE", "ACTION", "OUTCOME", "REASON")
    rows = [header]
    for target in report.targets:
        outcomes = {id(r.decision): r for r in target.results}
        for d in target.decisions:
            result = outcomes.get(id(d))
            outcome = result.outcome.value if result else "-"
            if result and result.error:
                outcome = f"{outcome}: {result.error}"
            r = d.resource
            rows.append(
                (
                    str(target.target),
                    r.kind,
                    r.id,
                    r.name,
                    r.state.value,
                    d.action.value,
                    outcome,
                    d.reason,
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    for row in rows:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])]
        print("  ".join([*cells, row[-1]]))
    for warning in report.warnings:
        print(f"offhours: warning: {warning}", file=sys.stderr)
    for error in report.errors:
        print(f"offhours: {error}", file=sys.stderr)


def print_summary(report: RunReport) -> None:
    counts: dict[str, int] = {}
    for result in report.results:
        if result.decision.action.value != "skip":
            key = f"{result.decision.action.value} {result.outcome.value}"
            counts[key] = counts.get(key, 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "nothing to do"
    mode = " (dry run: nothing changed)" if report.dry_run else ""
    print(f"\nrun {report.run_id}: {summary}{mode}")
    ledgers = sorted({t.ledger_key for t in report.targets if t.rows})
    for key in ledgers:
        print(f"ledger: {key}")


def _exit_code(report: RunReport) -> int:
    failed = any(t.errors or t.failed for t in report.targets)
    return 1 if failed else 0
