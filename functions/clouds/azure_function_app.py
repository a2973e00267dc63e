"""Azure Functions app (Python v2 programming model): the scheduler, the daily inventory
and the weekly digest.

Thin: app settings are the environment (``OFFHOURS_*``, see functions/settings.py), the
timer tick is rounded down to its period (``OFFHOURS_RUN_INTERVAL_MINUTES``) so a retried
tick is the same run, and the run's time budget is the host's ``functionTimeout``
(host.json, 10 minutes), counted down the way every entry point does
(functions/clouds/entry.py). Logs go through ``logging``, which Application
Insights collects as traces with the ``extra`` fields as custom dimensions; the Azure
SDK's own loggers are held at WARNING (``OFFHOURS_SDK_LOG_LEVEL`` to see its HTTP traces).
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime

import azure.functions as func

from functions.clouds.entry import floor_to_period, invocation_limit, scheduled_run, time_left
from functions.clouds.snooze_keys import azure_links
from functions.settings import Settings, sdk_log_level

app = func.FunctionApp()
logger = logging.getLogger("offhours")
# The Azure SDK's HTTP logging policy writes every request and response at INFO; at the
# host's Information level those traces buried the app's own records (126 of 138 in one
# run). They stay at WARNING unless OFFHOURS_SDK_LOG_LEVEL asks for more.
SDK_LOGGER = "azure"
# host.json's functionTimeout (tests check they agree).
FUNCTION_TIMEOUT_S = 600.0


@app.timer_trigger(
    schedule="%OFFHOURS_CRON%", arg_name="timer", run_on_startup=False, use_monitor=True
)
def scheduler(timer: func.TimerRequest) -> None:
    logging.getLogger(SDK_LOGGER).setLevel(sdk_log_level(os.environ))
    settings = Settings.from_sources({}, os.environ)
    left = time_left(invocation_limit(settings, FUNCTION_TIMEOUT_S))
    now = floor_to_period(datetime.now(UTC), settings.run_interval_minutes)
    if timer.past_due:
        logger.warning("timer is past due: catching up", extra={"run_at": now.isoformat()})
    result = scheduled_run(settings, now, left, logger, links=azure_links(settings))
    logger.info("run finished: %s", json.dumps(result))


@app.timer_trigger(
    schedule="%OFFHOURS_INVENTORY_CRON%", arg_name="timer", run_on_startup=False, use_monitor=True
)
def inventory(timer: func.TimerRequest) -> None:
    """The daily inventory (every resource, scheduled or not) for the digest's
    opportunities; ``OFFHOURS_INVENTORY_CRON`` is its NCRONTAB (daily, say ``0 30 5 * * *``)."""
    from functions.jobs.inventory import inventory_run

    logging.getLogger(SDK_LOGGER).setLevel(sdk_log_level(os.environ))
    settings = Settings.from_sources({}, os.environ)
    left = time_left(invocation_limit(settings, FUNCTION_TIMEOUT_S))
    now = floor_to_period(datetime.now(UTC), settings.run_interval_minutes)
    result = inventory_run(settings, now, left, logger)
    logger.info("inventory finished: %s", json.dumps(result))


@app.timer_trigger(
    schedule="%OFFHOURS_DIGEST_CRON%", arg_name="timer", run_on_startup=False, use_monitor=True
)
def digest(timer: func.TimerRequest) -> None:
    from functions.jobs.digest import DigestSettings, previous_week, run_digest

    logging.getLogger(SDK_LOGGER).setLevel(sdk_log_level(os.environ))
    settings = DigestSettings.from_sources({}, os.environ)
    now = datetime.now(UTC)
    run = run_digest(settings, previous_week(now, settings.tz), send=True, preview=None, now=now)
    logger.info("digest sent", extra={"week": run.week, "sent": [n for n, _ in run.sent]})


@app.route(
    route="snooze",
    methods=["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"],
    auth_level=func.AuthLevel.ANONYMOUS,
)
def snooze(req: func.HttpRequest) -> func.HttpResponse:
    """The snooze links (functions/clouds/azure_snooze.py): anonymous, the signed token is the
    authorisation."""
    from functions.clouds.azure_snooze import respond

    page, headers = respond(req, os.environ)
    return func.HttpResponse(page.html(), status_code=page.status, headers=dict(headers))
