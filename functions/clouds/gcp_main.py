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

and a Cloud Scheduler job publishing to ``offhours-tick`` every 15 minutes, plus a daily one
publishing ``{"action": "inventory"}`` to the same topic (the inventory for the digest's
opportunities). The service account needs the custom role in
``infra/gcp/offhours-role.yaml``.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from functions.clouds.entry import invocation_limit, parse_instant, scheduled_run, time_left

# main.py re-exports this module: the snooze links' HTTP function deploys from it too.
from functions.clouds.gcp_snooze import snooze_http  # noqa: F401
from functions.clouds.snooze_keys import gcp_links
from functions.settings import Settings

# Seconds the platform gives one invocation, as deployed (``--timeout=540s``, the most an
# event-driven function may have); ``OFFHOURS_TIMEOUT_SECONDS`` when deployed otherwise.
FUNCTION_TIMEOUT_S = 540.0


def event_time(cloud_event: Any) -> datetime:
    message = _message(cloud_event)
    body = _message_body(message)
    text = body.get("scheduled_time") or message.get("publishTime") or _attribute(cloud_event)
    return parse_instant(text) or datetime.now(UTC)


def event_action(cloud_event: Any) -> str:
    """``inventory`` when the scheduler job's body says ``{"action": "inventory"}`` (the
    daily job), else "" (a scheduling run)."""
    return str(_message_body(_message(cloud_event)).get("action") or "")


def _message(cloud_event: Any) -> Mapping[str, Any]:
    data = getattr(cloud_event, "data", None) or {}
    message = data.get("message", {}) if isinstance(data, Mapping) else {}
    return message if isinstance(message, Mapping) else {}


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


class CloudLogging:
    """A logger-shaped writer of one JSON line per record on stdout: Cloud Logging reads
    ``severity`` and ``message`` from it and keeps the other fields as the JSON payload."""

    def info(self, message: str, extra: Mapping[str, Any] | None = None) -> None:
        self._write("INFO", message, extra)

    def error(self, message: str, extra: Mapping[str, Any] | None = None) -> None:
        self._write("ERROR", message, extra)

    def _write(self, severity: str, message: str, extra: Mapping[str, Any] | None) -> None:
        # Flushed per record: an instance can be stopped right after the response.
        record = {"severity": severity, "message": message, **(extra or {})}
        print(json.dumps(record, default=str), flush=True)


def reconcile_event(cloud_event: Any) -> dict[str, Any]:
    """The function's entry point (CloudEvent signature)."""
    settings = Settings.from_sources({}, {"OFFHOURS_PROVIDERS": "gcp", **os.environ})
    left = time_left(invocation_limit(settings, FUNCTION_TIMEOUT_S))
    log = CloudLogging()
    now = event_time(cloud_event)
    if event_action(cloud_event) == "inventory":
        from functions.jobs.inventory import inventory_run

        listed = inventory_run(settings, now, left, log)
        log.info("inventory finished", extra=listed)
        return listed
    summary = scheduled_run(settings, now, left, log, links=gcp_links(settings))
    log.info("run finished", extra=summary)
    return summary
