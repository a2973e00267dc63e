"""AWS Lambda entry points (EventBridge Scheduler).

Thin: settings from the environment into one frozen Settings, ``now`` from the event's
scheduled time (so a retried invocation is the same run and rewrites its own ledger
object), then one job. The scheduler passes ``{"scheduled_time":
"<aws.scheduler.scheduled-time>"}`` as the target input (see template.yaml).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from functions.settings import Settings

logger = Logger(service="offhours")
metrics = Metrics(namespace="offhours", service="scheduler")


def event_time(event: dict[str, Any]) -> datetime:
    text = event.get("scheduled_time") or event.get("time")
    if not text:
        return datetime.now(UTC)
    at = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return at if at.tzinfo else at.replace(tzinfo=UTC)


@logger.inject_lambda_context(log_event=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from functions.reconcile import reconcile
    from functions.wiring import build_job

    settings = Settings.from_sources({}, os.environ)
    now = event_time(event)
    job = build_job(settings, lambda: datetime.now(UTC))
    job = job.__class__(
        **{**job.__dict__, "time_left": lambda: context.get_remaining_time_in_millis() / 1000}
    )
    report = reconcile(job, now)
    counts: dict[str, int] = {}
    for result in report.results:
        if result.decision.action.value != "skip":
            key = f"{result.decision.action.value}-{result.outcome.value}"
            counts[key] = counts.get(key, 0) + 1
    for decision in report.decisions:
        logger.info(
            "decision",
            extra={
                "resource": decision.resource.key,
                "action": decision.action.value,
                "reason": decision.reason,
                "dry_run": settings.dry_run,
            },
        )
    for error in report.errors:
        logger.error("target error", extra={"error": error})
    metrics.add_metric(
        "ResourcesStopped", MetricUnit.Count, _n(counts, "stop-done", "scale-down-done")
    )
    metrics.add_metric(
        "ResourcesStarted", MetricUnit.Count, _n(counts, "start-done", "scale-up-done")
    )
    metrics.add_metric(
        "ActionsFailed", MetricUnit.Count, sum(v for k, v in counts.items() if k.endswith("failed"))
    )
    metrics.add_metric("TargetErrors", MetricUnit.Count, len(report.errors))
    return {
        "run_id": report.run_id,
        "dry_run": settings.dry_run,
        "actions": counts,
        "errors": report.errors,
        "deferred": [str(t) for t in report.deferred],
    }


def _n(counts: dict[str, int], *keys: str) -> int:
    return sum(counts.get(k, 0) for k in keys)


@logger.inject_lambda_context(log_event=True)
def digest_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Weekly digest (EventBridge Scheduler, e.g. ``cron(0 7 ? * MON *)``): reports the last
    complete week before the scheduled time, or ``{"week": "2026-W48"}`` when given.
    Settings: ``OFFHOURS_LEDGER`` and ``OFFHOURS_DIGEST_*`` (functions/digest.py)."""
    from functions.digest import DigestSettings, previous_week, run_digest

    settings = DigestSettings.from_sources({}, os.environ)
    now = event_time(event)
    week = str(event.get("week") or previous_week(now, settings.tz))
    run = run_digest(settings, week, send=True, preview=None, now=now)
    totals = run.digest.overall.report.totals
    for problem in run.skipped:
        logger.warning("digest not sent", extra={"problem": problem})
    return {
        "week": run.week,
        "saved": round(totals.saved, 2),
        "would_have_cost": round(totals.would, 2),
        "currency": run.digest.overall.report.currency,
        "sent": [name for name, _ in run.sent],
        "skipped": run.skipped,
    }
