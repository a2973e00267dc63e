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

from functions.entry import list_targets, parse_instant, scheduled_run
from functions.settings import Settings
from providers.base import Target

logger = Logger(service="offhours")
metrics = Metrics(namespace="offhours", service="scheduler")


def event_time(event: dict[str, Any]) -> datetime:
    return parse_instant(event.get("scheduled_time") or event.get("time")) or datetime.now(UTC)


@logger.inject_lambda_context(log_event=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """EventBridge Scheduler tick, or a step of the optional Step Functions fan-out:
    ``{"action": "list-targets"}`` answers the targets; ``{"targets": [{"account",
    "region"}]}`` runs only those."""
    settings = Settings.from_sources({}, os.environ)
    if event.get("action") == "list-targets":
        targets = list_targets(settings)
        # A step with no metric makes Powertools print a plain-text warning into the JSON log.
        metrics.add_metric("TargetsListed", MetricUnit.Count, len(targets))
        return {
            "scheduled_time": event.get("scheduled_time"),
            "targets": [{"account": t.account, "region": t.region} for t in targets],
        }
    only = [Target("aws", str(t["account"]), str(t["region"])) for t in event.get("targets", [])]
    result = scheduled_run(
        settings,
        event_time(event),
        lambda: context.get_remaining_time_in_millis() / 1000,
        logger,
        targets=only or None,
    )
    actions: dict[str, int] = result["actions"]

    def count(*keys: str) -> int:
        return sum(actions.get(k, 0) for k in keys)

    metrics.add_metric("ResourcesStopped", MetricUnit.Count, count("stop-done", "scale-down-done"))
    metrics.add_metric("ResourcesStarted", MetricUnit.Count, count("start-done", "scale-up-done"))
    failed = sum(n for k, n in actions.items() if k.endswith("-failed"))
    metrics.add_metric("ActionsFailed", MetricUnit.Count, failed)
    metrics.add_metric("TargetErrors", MetricUnit.Count, len(result["errors"]))
    return result


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
