"""Cloud Functions (2nd gen) entry point: Cloud Scheduler -> Pub/Sub topic -> CloudEvent.

Thin: settings from the environment into one frozen Settings (``OFFHOURS_PROVIDERS``
defaults to ``gcp`` here), ``now`` from the Pub/Sub message (its ``scheduled_time`` if the
scheduler job's body carries one, else the message's ``publishTime``, which a redelivery
keeps, so a retried delivery is the same run and rewrites its own ledger object), then one
job. Deploy with, for example::

    gcloud functions deploy offhours-reconcile --gen2 --runtime=python311 \\
      --entry-point=reconcile_event --trigger-topic=offhours-tick --timeout=540s \\
      --service-account=offhours@PROJECT.iam.gserviceaccount.com \\
      --set-env-vars=OFFHOURS_LEDGER=gs://BUCKET/offhours,OFFHOURS_GCP_ORGANIZATION=folders/N

and a Cloud Scheduler job publishing to ``offhours-tick`` every 15 minutes. The service
account needs the custom role in ``infra/gcp/offhours-role.yaml``.
"""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from functions.settings import Settings

# Seconds the platform gives one invocation (--timeout); targets not started with at
# least the job's per-target minimum left are deferred to the next run.
DEFAULT_TIMEOUT = 540.0


def event_time(cloud_event: Any) -> datetime:
    data = getattr(cloud_event, "data", None) or {}
    message = data.get("message", {}) if isinstance(data, Mapping) else {}
    body = _message_body(message)
    text = body.get("scheduled_time") or message.get("publishTime") or _attribute(cloud_event)
    if not text:
        return datetime.now(UTC)
    at = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _message_body(message: Mapping[str, Any]) -> Mapping[str, Any]:
    try:
        decoded = json.loads(base64.b64decode(message.get("data") or b"") or b"{}")
    except ValueError:
        return {}
    return decoded if isinstance(decoded, Mapping) else {}


def _attribute(cloud_event: Any) -> str:
    try:
        return str(cloud_event["time"] or "")
    except (KeyError, TypeError):
        return ""


def reconcile_event(cloud_event: Any) -> dict[str, Any]:
    """The function's entry point (CloudEvent signature)."""
    from functions.reconcile import reconcile
    from functions.wiring import build_job

    started = time.monotonic()
    env = {"OFFHOURS_PROVIDERS": "gcp", **os.environ}
    settings = Settings.from_sources({}, env)
    budget = float(env.get("OFFHOURS_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT)
    now = event_time(cloud_event)
    job = build_job(settings, lambda: datetime.now(UTC))
    job = replace(job, time_left=lambda: budget - (time.monotonic() - started))
    report = reconcile(job, now)
    counts: dict[str, int] = {}
    for result in report.results:
        if result.decision.action.value != "skip":
            key = f"{result.decision.action.value}-{result.outcome.value}"
            counts[key] = counts.get(key, 0) + 1
    for decision in report.decisions:
        _log(
            "INFO",
            "decision",
            resource=decision.resource.key,
            action=decision.action.value,
            reason=decision.reason,
        )
    for error in report.errors:
        _log("ERROR", "target error", error=error)
    summary = {
        "run_id": report.run_id,
        "dry_run": settings.dry_run,
        "actions": counts,
        "errors": report.errors,
        "deferred": [str(t) for t in report.deferred],
    }
    _log("INFO", "run finished", **summary)
    return summary


def _log(severity: str, message: str, **fields: Any) -> None:
    """One JSON line on stdout: Cloud Logging reads ``severity`` and ``message`` from it."""
    print(json.dumps({"severity": severity, "message": message, **fields}, default=str))
