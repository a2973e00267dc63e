"""AWS Lambda entry points (EventBridge Scheduler).

Thin: settings from the environment into one frozen Settings, ``now`` from the event's
scheduled time (so a retried invocation is the same run and rewrites its own ledger
object), then one job. The scheduler passes ``{"scheduled_time":
"<aws.scheduler.scheduled-time>"}`` as the target input (see template.yaml).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

import providers
from functions.clouds.entry import list_targets, parse_instant, scheduled_run
from functions.jobs.run_calls import Platform
from functions.settings import Settings
from providers.base import Target

if TYPE_CHECKING:
    from functions.jobs.notices.model import LinkMaker

logger = Logger(service="offhours")
metrics = Metrics(namespace="offhours", service="scheduler")


def event_time(event: dict[str, Any]) -> datetime:
    return parse_instant(event.get("scheduled_time") or event.get("time")) or datetime.now(UTC)


def snooze_links(settings: Settings) -> LinkMaker | None:
    """Snooze links for the run's notices, signed with the key the stack's secret holds
    (``SnoozeLinks=true``). A key that cannot be read costs the links, not the run."""
    wants_notices = settings.notice_transport or settings.notice_channels
    if not (wants_notices and settings.snooze_url and settings.snooze_key_secret):
        return None
    import boto3

    from functions.jobs.snooze.keyring import KeyUnavailable, check_key
    from functions.jobs.snooze.links import link_maker

    # Through "module:attribute" strings: every cloud's artefact carries this module,
    # and only the AWS one carries providers/aws.
    read_key = providers.load("providers.aws.secrets:read_key")
    service_for = providers.load("providers.aws.secrets:service_for")
    secret_error = providers.load("providers.aws.secrets:SecretError")
    name = settings.snooze_key_secret
    session = boto3.session.Session()
    client = session.client(
        service_for(name),
        region_name=session.region_name or "us-east-1",
        endpoint_url=settings.endpoint_url("aws") or None,
    )
    try:
        key = check_key(read_key(name, client))  # read once per run: a rotation applies
    except (secret_error, KeyUnavailable) as err:
        logger.warning("notices go without snooze links: %s", err)
        return None
    return link_maker(settings.snooze_url, key)


@logger.inject_lambda_context(log_event=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """EventBridge Scheduler tick, or a step of the optional Step Functions fan-out:
    ``{"action": "list-targets"}`` answers the targets; ``{"targets": [{"account",
    "region"}, ...]}`` (one batch of the Map, infra/aws/state-machine.asl.json) is one run
    over only those, within this invocation's time: a target it cannot start in time is
    deferred, as in a whole-fleet run. ``{"action": "inventory"}`` (the daily schedule)
    takes the inventory instead of a scheduling run, of those targets too when given."""
    settings = Settings.from_sources({}, os.environ)
    only = [Target("aws", str(t["account"]), str(t["region"])) for t in event.get("targets", [])]
    if event.get("action") == "inventory":
        from functions.jobs.inventory import inventory_run

        listed = inventory_run(
            settings,
            event_time(event),
            lambda: context.get_remaining_time_in_millis() / 1000,
            logger,
            targets=only or None,
        )
        metrics.add_metric("ResourcesListed", MetricUnit.Count, listed["resources"])
        metrics.add_metric("TargetErrors", MetricUnit.Count, len(listed["errors"]))
        return listed
    if event.get("action") == "list-targets":
        targets = list_targets(settings)
        # A step with no metric makes Powertools print a plain-text warning into the JSON log.
        metrics.add_metric("TargetsListed", MetricUnit.Count, len(targets))
        return {
            "scheduled_time": event.get("scheduled_time"),
            "targets": [{"account": t.account, "region": t.region} for t in targets],
        }
    result = scheduled_run(
        settings,
        event_time(event),
        lambda: context.get_remaining_time_in_millis() / 1000,
        logger,
        targets=only or None,
        links=snooze_links(settings),
        platform=Platform("lambda", int(getattr(context, "memory_limit_in_mb", 0) or 0)),
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
    Settings: ``OFFHOURS_LEDGER`` and ``OFFHOURS_DIGEST_*`` (functions/jobs/digest.py)."""
    from functions.jobs.digest import DigestSettings, previous_week, run_digest

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
