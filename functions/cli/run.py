"""``offhours plan | run | explain``: the reconcile job from a terminal (``wake``: wake.py).

``plan`` and ``explain`` change nothing: they read the ledger location through a
read-only store (a local directory is not even created).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import providers
from functions.cli import display
from functions.cli.main import UsageError, instant
from functions.jobs.reconcile import Job, RunReport, TargetReport, reconcile
from functions.settings import ConfigError, Settings
from providers.metering import Meter
from providers.store import ObjectStore
from schedules.protected import DEFAULT_TEXT as DEFAULT_PROTECTED

# The table names resources by NAME; ``--wide`` adds where they are and their ids.
PLAN_COLUMNS = ("KIND", "NAME", "STATE", "ACTION", "REASON")
RUN_COLUMNS = ("KIND", "NAME", "STATE", "ACTION", "OUTCOME", "REASON")
WIDE_COLUMNS = ("TARGET", "RESOURCE")
REFUSED = "; refused: this run would stop"
# Exit code of a run whose stops the max_stop_share brake refused (1 = a failure).
EXIT_REFUSED = 3


def add_settings_flags(parser: argparse.ArgumentParser) -> None:
    """Flags every job shares; each maps to a Settings field (flag > env > file)."""
    group = parser.add_argument_group("settings (flag > OFFHOURS_* env var > --config file)")
    group.add_argument("--config", help="YAML file of settings")
    group.add_argument(
        "--provider", dest="providers", help=f"clouds: {','.join(providers.clouds())}"
    )
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
    group.add_argument(
        "--protected", help=f"never-touch tags (KEY[|KEY]=VALUE[|VALUE],...; {DEFAULT_PROTECTED})"
    )
    group.add_argument("--grace-minutes", help="minutes a box started by hand may run (60)")
    group.add_argument("--max-stop-share", help="most of the fleet one run may stop, 0-1 (1.0)")
    group.add_argument("--batch-size", help="resources per API call (200)")
    group.add_argument("--max-workers", help="targets worked on in parallel (8)")
    group.add_argument("--at", help="act as if it were this instant (ISO 8601 with offset)")


def add_output_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o",
        "--output",
        choices=display.OUTPUTS,
        default="table",
        help="table for people (default), json or csv for scripts",
    )
    parser.add_argument(
        "--wide", action="store_true", help="table: add each resource's target and id"
    )


_SETTING_FLAGS = (
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
    "grace_minutes",
    "max_stop_share",
    "batch_size",
    "max_workers",
)


def settings_from(args: argparse.Namespace, **overrides: Any) -> Settings:
    flags = {name: getattr(args, name, None) for name in _SETTING_FLAGS}
    flags.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings.from_sources(flags, os.environ, getattr(args, "config", None))
    except ConfigError as err:
        raise UsageError(str(err)) from err


def register(subparsers: Any) -> None:
    plan = subparsers.add_parser("plan", help="show what a run would do; changes nothing")
    add_settings_flags(plan)
    add_output_flag(plan)
    plan.set_defaults(handler=_plan)

    run = subparsers.add_parser("run", help="stop and start resources as their schedules say")
    add_settings_flags(run)
    add_output_flag(run)
    run.add_argument("--dry-run", action="store_true", help="plan and report; change nothing")
    run.add_argument("--force", action="store_true", help="allow stopping over the share limit")
    run.add_argument(
        "--time-budget",
        type=_seconds,
        metavar="SECONDS",
        help=(
            "finish within this time: operations still running near its end are recorded "
            "accepted, targets not started with 60 s left are deferred"
        ),
    )
    run.set_defaults(handler=_run)

    explain = subparsers.add_parser("explain", help="why a resource is (or will be) on or off")
    explain.add_argument("resource", help="resource id or name")
    add_settings_flags(explain)
    add_output_flag(explain)
    explain.set_defaults(handler=_explain)


def _plan(args: argparse.Namespace) -> int:
    settings = settings_from(args, dry_run=True)
    now = instant(args.at)
    report = execute(settings, now, store=readonly_store(settings))
    require_targets(report.targets)
    show_report(report, args.output, "plan", args.wide)
    return _exit_code(report)


def _run(args: argparse.Namespace) -> int:
    settings = settings_from(args, dry_run=args.dry_run or None, force=args.force or None)
    now = instant(args.at)
    store = readonly_store(settings) if settings.dry_run else None
    meter = Meter()
    report = execute(
        settings, now, store=store, time_left=_time_left(args.time_budget), meter=meter
    )
    require_targets(report.targets)
    calls = meter.counts()
    show_report(report, args.output, "run", args.wide, location=settings.ledger, calls=calls)
    return _exit_code(report)


def require_targets(targets: Sequence[TargetReport]) -> None:
    """No cloud could even list its targets (no credentials, an account refused): the
    setup is at fault, not a run. A usage error (exit 2), with nothing on stdout."""
    if targets and all(t.target.account == "?" for t in targets):
        raise UsageError("; ".join(e for t in targets for e in t.errors))


def _seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return seconds


def _time_left(budget: float | None) -> Callable[[], float] | None:
    """The seconds left of ``--time-budget``, counted down as every entry point does."""
    from functions.clouds.entry import time_left

    return None if budget is None else time_left(budget)


def _explain(args: argparse.Namespace) -> int:
    from functions.jobs.explain import explain, explain_record

    settings = settings_from(args, dry_run=True)
    report = execute(settings, instant(args.at), store=readonly_store(settings))
    if args.output == "table":
        text = explain(report, args.resource, settings)
        found = text is not None
        if text is not None:
            print(text)
    else:
        record = explain_record(report, args.resource, settings)
        found = record is not None
        if record is not None and args.output == "json":
            display.write_json({"schema": "offhours.explain/v1", **record})
        elif record is not None:
            flat = {k: v for k, v in record.items() if not isinstance(v, dict | list)}
            display.write_csv(list(flat), [flat])
    if not found:
        for error in report.errors:
            display.say(f"offhours: {error}", stream=sys.stderr)
        raise UsageError(f"no resource {args.resource!r} carries the {settings.tag_key!r} tag")
    return 0


def readonly_store(settings: Settings) -> ObjectStore:
    from functions.readonly_store import open_readonly
    from providers.store import StoreError

    try:
        return open_readonly(settings.ledger, settings.store_endpoint_url)
    except (ConfigError, StoreError) as err:
        raise UsageError(str(err)) from err


def execute(
    settings: Settings,
    now: datetime,
    wake: frozenset[str] = frozenset(),
    clock: Callable[[], datetime] | None = None,
    store: ObjectStore | None = None,
    time_left: Callable[[], float] | None = None,
    meter: Meter | None = None,
) -> RunReport:
    """One run; with a ``meter``, its billable calls are counted and (unless a dry run)
    kept in the ledger's store for the digest (functions/jobs/run_calls.py)."""
    job = job_for(settings, now, wake, clock, store, time_left, meter)
    with display.progress("discovering resources…") as update:
        report = reconcile(job, on_target_done=ticker(update) if update else None)
    if meter is not None:
        from functions.jobs.run_calls import book_run_calls, mail_counts

        extra = mail_counts(report, settings.notice_transport)
        book_run_calls(job.store, meter, report.run_id, now, extra, save=not report.dry_run)
    return report


def job_for(
    settings: Settings,
    now: datetime,
    wake: frozenset[str] = frozenset(),
    clock: Callable[[], datetime] | None = None,
    store: ObjectStore | None = None,
    time_left: Callable[[], float] | None = None,
    meter: Meter | None = None,
) -> Job:
    from functions.jobs.job_clock import advancing
    from functions.wiring import build_job
    from providers.store import StoreError, StoreUnavailable

    _require_extras(settings)
    try:
        # One job clock: the run's instant (--at or now) plus the run's elapsed time, so
        # each result is stamped when it happened (functions/jobs/job_clock.py).
        job = build_job(settings, clock or advancing(now), store=store, wake=wake, meter=meter)
        job = replace(job, time_left=time_left)
        # Reach the ledger location before touching any resource: a missing bucket or
        # missing credentials for it is a usage error, not a run that half happened.
        job.store.get("state/v1/deferred-targets.json")
    except StoreUnavailable:
        raise  # a store down for now is a failed run (exit 1), not a usage error
    except (ConfigError, StoreError) as err:
        raise UsageError(str(err)) from err
    return job


def _require_extras(settings: Settings) -> None:
    from urllib.parse import urlparse

    from functions.errors import PROVIDER_MODULES, STORE_MODULES, require

    for provider in settings.providers:
        require(PROVIDER_MODULES.get(provider, ()))
    require(STORE_MODULES.get(urlparse(settings.ledger).scheme, ()))


def ticker(update: Callable[[str], None]) -> Callable[[Any], None]:
    done = [0]

    def tick(report: TargetReport) -> None:
        done[0] += 1
        update(f"{done[0]} targets done (last: {report.target})")

    return tick


def refused_stops(report: RunReport) -> int:
    """Stops the max_stop_share brake turned into skips (the planner says so in the
    reason: ``…; refused: this run would stop N of M …``)."""
    return sum(1 for d in report.decisions if REFUSED in d.reason)


def records(report: RunReport) -> list[dict[str, Any]]:
    """One record per decision: the rows of the table, the JSON and the CSV."""
    found: list[dict[str, Any]] = []
    for target in report.targets:
        outcomes = {id(r.decision): r for r in target.results}
        for d in target.decisions:
            result = outcomes.get(id(d))
            r = d.resource
            found.append(
                {
                    "target": str(target.target),
                    "provider": r.provider,
                    "account": r.account,
                    "region": r.region,
                    "kind": r.kind,
                    "id": r.id,
                    "name": r.name,
                    "state": r.state.value,
                    "action": d.action.value,
                    "outcome": result.outcome.value if result else None,
                    "error": (result.error or None) if result else None,
                    "reason": d.reason,
                    "schedule": d.schedule or None,
                    "problem": d.problem,
                    "refused": REFUSED in d.reason,
                }
            )
    return found


def warnings(report: RunReport) -> list[str]:
    """What a run noticed but did not fail on (clock skew, a state object rebuilt)."""
    found: list[str] = getattr(report, "warnings", [])  # reports gain this field
    return list(found)


def counts(report: RunReport) -> dict[str, int]:
    found: dict[str, int] = {}
    for result in report.results:
        if result.decision.action.value != "skip":
            key = f"{result.decision.action.value} {result.outcome.value}"
            found[key] = found.get(key, 0) + 1
    return dict(sorted(found.items()))


def show_report(
    report: RunReport,
    output: str,
    command: str,
    wide: bool = False,
    location: str = "",
    calls: Mapping[str, int] | None = None,
) -> None:
    """``location``: the ledger's location, so the keys written are printed in full;
    ``calls``: the run's billable calls (providers/metering.py), when they were counted."""
    rows = records(report)
    if output == "json":
        display.write_json(
            {
                "schema": "offhours.plan/v1",
                "command": command,
                "run_id": report.run_id,
                "at": report.now.isoformat(),
                "dry_run": report.dry_run,
                "decisions": rows,
                "counts": counts(report),
                "refused_stops": refused_stops(report),
                "warnings": warnings(report),
                "errors": report.errors,
                "ledger": sorted({t.ledger_key for t in report.targets if t.rows}),
                "notices": [o.record() for t in report.targets for o in t.notices],
                **_calls_fields(calls, location),
            }
        )
    elif output == "csv":
        display.write_csv(list(rows[0]) if rows else _CSV_COLUMNS, rows)
    else:
        print_plan(report, command, wide)
        if command == "run":
            print_summary(report, location, calls)
    for warning in warnings(report):
        display.say(f"offhours: warning: {warning}", "yellow", stream=sys.stderr)
    for error in report.errors:
        display.say(f"offhours: {error}", "red", stream=sys.stderr)
    refused = refused_stops(report)
    if refused:
        display.say(
            f"offhours: REFUSED {refused} stop(s): over max_stop_share; nothing was stopped "
            "(rerun with --force if intended)",
            "bold red",
            stream=sys.stderr,
        )


_CSV_COLUMNS = [
    "target",
    "provider",
    "account",
    "region",
    "kind",
    "id",
    "name",
    "state",
    "action",
    "outcome",
    "error",
    "reason",
    "schedule",
    "problem",
    "refused",
]

_ACTION_STYLES = {"stop": "yellow", "scale-down": "yellow", "start": "green", "scale-up": "green"}


def _style(column: str, cell: str) -> str:
    if column == "ACTION":
        return _ACTION_STYLES.get(cell, "")
    if column == "OUTCOME" and cell.startswith("failed"):
        return "bold red"
    return ""


def print_plan(report: RunReport, command: str = "plan", wide: bool = False) -> None:
    """The decisions as a table: one row per resource, by name (the id when it has
    none), the reason kept in full and wrapped on a terminal, and a total line."""
    columns = (WIDE_COLUMNS if wide else ()) + (RUN_COLUMNS if command == "run" else PLAN_COLUMNS)
    rows = [_plan_cells(record, columns) for record in records(report)]
    display.table(columns, rows, style=_style, total=_plan_total(report, columns))


def _plan_cells(record: dict[str, Any], columns: tuple[str, ...]) -> tuple[str, ...]:
    outcome = record["outcome"] or "-"
    if record["error"]:
        outcome = f"{outcome}: {display.ellipsis(record['error'], 40)}"
    cells = {
        "TARGET": record["target"],
        "RESOURCE": record["id"],
        "KIND": record["kind"],
        "NAME": record["name"] or record["id"],
        "STATE": record["state"],
        "ACTION": record["action"],
        "OUTCOME": outcome,
        "REASON": display.short_reason(record["reason"], record["problem"]),
    }
    return tuple(cells[c] for c in columns)


def _plan_total(report: RunReport, columns: tuple[str, ...]) -> tuple[str, ...]:
    actions: dict[str, int] = {}
    for decision in report.decisions:
        actions[decision.action.value] = actions.get(decision.action.value, 0) + 1
    summary = ", ".join(f"{n} {a}" for a, n in sorted(actions.items())) or "nothing"
    cells = {"NAME": f"{len(report.decisions)} resources", "REASON": summary}
    return display.total_row(columns, cells)


def _calls_fields(calls: Mapping[str, int] | None, location: str) -> dict[str, Any]:
    if calls is None:
        return {}
    from functions.jobs import own_cost
    from functions.jobs.run_calls import store_kind

    usd = own_cost.cost(calls, store_kind(location))
    return {"calls": dict(calls), "calls_usd": round(usd, 6)}


def print_summary(
    report: RunReport, location: str = "", calls: Mapping[str, int] | None = None
) -> None:
    summary = ", ".join(f"{n} {k}" for k, n in counts(report).items()) or "nothing to do"
    if refused_stops(report):
        summary = f"{summary}; {refused_stops(report)} stop(s) refused"
    mode = " (dry run: nothing changed)" if report.dry_run else ""
    print()
    display.paragraph(f"run {report.run_id}: {summary}{mode}")
    for outcome in (o for t in report.targets for o in t.notices):
        print(outcome.describe())
    for key in sorted({t.ledger_key for t in report.targets if t.rows}):
        print(f"ledger: {location.rstrip('/')}/{key}" if location else f"ledger: {key}")
    if calls is not None:
        from functions.jobs.run_calls import run_line

        print(run_line(calls, location))


def _exit_code(report: RunReport) -> int:
    if any(t.errors or t.failed for t in report.targets):
        return 1
    return EXIT_REFUSED if refused_stops(report) else 0
