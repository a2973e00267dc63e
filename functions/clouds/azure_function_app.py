"""Azure Functions app (Python v2 programming model): the scheduler, the daily inventory
and the weekly digest.

Thin: app settings are the environment (``OFFHOURS_*``, see functions/settings.py), the
timer tick is rounded down to its period so a retried tick is the same run, and the
function stops starting new subscriptions before the host's ``functionTimeout``
(host.json, 10 minutes) runs out. Logs go through ``logging``, which Application
Insights collects as traces with the ``extra`` fields as custom dimensions; the Azure
SDK's own loggers are held at WARNING (``OFFHOURS_SDK_LOG_LEVEL`` to see its HTTP traces).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping
from datetime import UTC, datetime

import azure.functions as func

from functions.clouds.entry import floor_to_period, scheduled_run
from functions.clouds.snooze_keys import azure_links
from functions.settings import Settings

app = func.FunctionApp()
logger = logging.getLogger("offhours")
# The Azure SDK's HTTP logging policy writes every request and response at INFO; at the
# host's Information level those traces buried the app's own records (126 of 138 in one
# run). They stay at WARNING unless OFFHOURS_SDK_LOG_LEVEL asks for more.
SDK_LOGGER = "azure"
SDK_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# host.json functionTimeout; leave a margin to write the ledger and state.
FUNCTION_TIMEOUT_S = 600
MARGIN_S = 60


def sdk_log_level(env: Mapping[str, str]) -> str:
    wanted = env.get("OFFHOURS_SDK_LOG_LEVEL", "").strip().upper()
    return wanted if wanted in SDK_LOG_LEVELS else "WARNING"


@app.timer_trigger(
    schedule="%OFFHOURS_CRON%", arg_name="timer", run_on_startup=False, use_monitor=True
)
def scheduler(timer: func.TimerRequest) -> None:
    started = time.monotonic()
    logging.getLogger(SDK_LOGGER).setLevel(sdk_log_level(os.environ))
    settings = Settings.from_sources({}, os.environ)
    minutes = int(os.environ.get("OFFHOURS_SCHEDULE_MINUTES", "15"))
    now = floor_to_period(datetime.now(UTC), minutes)
    if timer.past_due:
        logger.warning("timer is past due: catching up", extra={"run_at": now.isoformat()})

    def time_left() -> float:
        return FUNCTION_TIMEOUT_S - MARGIN_S - (time.monotonic() - started)

    result = scheduled_run(settings, now, time_left, logger, links=azure_links(settings))
    logger.info("run finished: %s", json.dumps(result))


@app.timer_trigger(
    schedule="%OFFHOURS_INVENTORY_CRON%", arg_name="timer", run_on_startup=False, use_monitor=True
)
def inventory(timer: func.TimerRequest) -> None:
    """The daily inventory (every resource, scheduled or not) for the digest's
    opportunities; ``OFFHOURS_INVENTORY_CRON`` is its NCRONTAB (daily, say ``0 30 5 * * *``)."""
    from functions.jobs.inventory import inventory_run

    started = time.monotonic()
    logging.getLogger(SDK_LOGGER).setLevel(sdk_log_level(os.environ))
    settings = Settings.from_sources({}, os.environ)
    now = floor_to_period(datetime.now(UTC), int(os.environ.get("OFFHOURS_SCHEDULE_MINUTES", "15")))

    def time_left() -> float:
        return FUNCTION_TIMEOUT_S - MARGIN_S - (time.monotonic() - started)

    result = inventory_run(settings, now, time_left, logger)
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
