"""What every cloud entry point does once it has parsed its event: one scheduled run.

The Lambda handler, the Cloud Function and the Azure Functions app each read settings from
their environment, decide ``now`` from the trigger, and call ``scheduled_run``; the
summary it returns is logged as structured JSON by each platform's logger.

Time is budgeted one way on every cloud: ``time_left`` is what the platform still gives
the invocation (a Lambda's remaining time; the timeout counted down on the monotonic clock
on Cloud Functions and Azure, ``timeout_seconds`` or the platform's own limit), with
nothing kept back here. The job keeps its own margin: it starts no target with less than
``Job.min_seconds_per_target`` left, and every apply stops waiting
``providers.apply.FINISH_MARGIN`` seconds before the end, to book what it did
(README, "Time budget").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from functions.jobs.reconcile import RunReport, reconcile
from functions.jobs.run_calls import Platform
from functions.settings import Settings
from providers.base import Target
from providers.metering import Meter

if TYPE_CHECKING:
    from functions.jobs.notices.model import LinkMaker


def floor_to_period(at: datetime, minutes: int) -> datetime:
    """Round a trigger instant down to its schedule period, so a retried or late
    invocation of the same tick acts at the same instant (the run lease and the state's
    compare-and-swap keep it from booking anything twice)."""
    at = at.astimezone(UTC)
    midnight = at.replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed = int((at - midnight).total_seconds() // 60)
    return midnight + timedelta(minutes=elapsed - elapsed % max(1, minutes))


def time_left(limit: float, monotonic: Callable[[], float] = time.monotonic) -> Callable[[], float]:
    """The seconds an invocation has left of ``limit`` (what its platform gives one
    invocation), counted from now on the monotonic clock."""
    started = monotonic()
    return lambda: limit - (monotonic() - started)


def invocation_limit(settings: Settings, platform_limit: float) -> float:
    """``timeout_seconds`` when set (the function was deployed with another timeout),
    else the platform's own limit."""
    return settings.timeout_seconds or platform_limit


def parse_instant(text: str | None) -> datetime | None:
    if not text:
        return None
    at = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def scheduled_run(
    settings: Settings,
    now: datetime,
    time_left: Callable[[], float] | None,
    logger: logging.Logger | Any,
    targets: Sequence[Target] | None = None,
    links: LinkMaker | None = None,
    platform: Platform | None = None,
) -> dict[str, Any]:
    """One run over every target (or only ``targets``, one batch of a fan-out); ``links``
    puts snooze links in the run's notices. The answer carries the run's billable calls;
    a whole-fleet run also keeps them in the ledger's store (functions/jobs/run_calls.py)."""
    from functions.jobs.job_clock import advancing
    from functions.jobs.run_calls import book_run_calls, mail_counts, platform_counts
    from functions.wiring import build_job

    started, meter = time.monotonic(), Meter()
    # Results are stamped at the trigger's time plus the run's elapsed time.
    job = build_job(settings, advancing(now), links=links, meter=meter)
    report = reconcile(replace(job, time_left=time_left), targets=targets)
    log_report(report, logger, settings.dry_run)
    extra = mail_counts(report, settings.notice_transport)
    extra.update(platform_counts(platform or Platform("function"), time.monotonic() - started))
    whole = targets is None and not settings.dry_run
    calls = book_run_calls(job.store, meter, report.run_id, now, extra, save=whole)
    return {**summary(report), "calls": calls}


def list_targets(settings: Settings) -> list[Target]:
    """Every target of every configured cloud: the first step of a Step Functions fan-out."""
    from functions.wiring import connect

    return [t for p in settings.providers for t in connect(settings, p).targets()]


def summary(report: RunReport) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for result in report.results:
        if result.decision.action.value != "skip":
            key = f"{result.decision.action.value}-{result.outcome.value}"
            counts[key] = counts.get(key, 0) + 1
    return {
        "run_id": report.run_id,
        "dry_run": report.dry_run,
        "actions": counts,
        "errors": report.errors,
        "deferred": [str(t) for t in report.deferred],
    }


def log_report(report: RunReport, logger: logging.Logger | Any, dry_run: bool) -> None:
    outcomes = {id(r.decision): r for r in report.results}
    for decision in report.decisions:
        result = outcomes.get(id(decision))
        logger.info(
            "decision",
            extra={
                "resource": decision.resource.key,
                "resource_name": decision.resource.name,
                "action": decision.action.value,
                "outcome": result.outcome.value if result else "",
                "error": result.error if result else "",
                "reason": decision.reason,
                "dry_run": dry_run,
            },
        )
    for error in report.errors:
        logger.error("target error", extra={"error": error})
