"""Azure Functions app (Python v2 programming model): the scheduler and the weekly digest.

Thin: app settings are the environment (``OFFHOURS_*``, see functions/settings.py), the
timer tick is rounded down to its period so a retried tick is the same run, and the
function stops starting new subscriptions before the host's ``functionTimeout``
(host.json, 10 minutes) runs out. Logs go through ``logging``, which Application
Insights collects as traces with the ``extra`` fields as custom dimensions.
"""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import UTC, datetime

import azure.functions as func

from functions.entry import floor_to_period, scheduled_run
from functions.settings import Settings

app = func.FunctionApp()
logger = logging.getLogger("offhours")
# host.json functionTimeout; leave a margin to write the ledger and state.
FUNCTION_TIMEOUT_S = 600
MARGIN_S = 60


@app.timer_trigger(
    schedule="%OFFHOURS_CRON%", arg_name="timer", run_on_startup=False, use_monitor=True
)
def scheduler(timer: func.TimerRequest) -> None:
    started = time.monotonic()
    settings = Settings.from_sources({}, os.environ)
    minutes = int(os.environ.get("OFFHOURS_SCHEDULE_MINUTES", "15"))
    now = floor_to_period(datetime.now(UTC), minutes)
    if timer.past_due:
        logger.warning("timer is past due: catching up", extra={"run_at": now.isoformat()})

    def time_left() -> float:
        return FUNCTION_TIMEOUT_S - MARGIN_S - (time.monotonic() - started)

    result = scheduled_run(settings, now, time_left, logger)
    logger.info("run finished: %s", json.dumps(result))


@app.timer_trigger(
    schedule="%OFFHOURS_DIGEST_CRON%", arg_name="timer", run_on_startup=False, use_monitor=True
)
def digest(timer: func.TimerRequest) -> None:
    from functions.digest import DigestSettings, previous_week, run_digest

    settings = DigestSettings.from_sources({}, os.environ)
    now = datetime.now(UTC)
    run = run_digest(settings, previous_week(now, settings.tz), send=True, preview=None, now=now)
    logger.info("digest sent", extra={"week": run.week, "sent": [n for n, _ in run.sent]})
