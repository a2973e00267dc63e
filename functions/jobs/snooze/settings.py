"""Settings of the snooze function, from the environment (one frozen dataclass).

The run's own settings (ledger, tag keys, protected tags, default zone, catalog,
endpoints) are shared with the scheduler through ``functions.settings.Settings``; the
snooze adds the secret's name (never the key), the cap on an override and how long a
link stays valid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from functions.jobs.snooze.until import DEFAULT_CAP
from functions.settings import ConfigError, Settings

KEY_SECRET = "OFFHOURS_SNOOZE_KEY_SECRET"
MAX_HOURS = "OFFHOURS_SNOOZE_MAX_HOURS"
# Settings.from_sources refuses names it does not know: the snooze's own are kept apart.
OWN = (KEY_SECRET, MAX_HOURS)


@dataclass(frozen=True)
class SnoozeSettings:
    run: Settings
    key_secret: str
    cap: timedelta = DEFAULT_CAP

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], defaults: Mapping[str, str] | None = None
    ) -> SnoozeSettings:
        merged = {**(defaults or {}), **env}
        secret = merged.get(KEY_SECRET, "").strip()
        if not secret:
            raise ConfigError(f"{KEY_SECRET}: name the secret that holds the snooze key")
        try:
            hours = float(merged.get(MAX_HOURS) or DEFAULT_CAP.total_seconds() / 3600)
        except ValueError as err:
            raise ConfigError(f"{MAX_HOURS}: {merged[MAX_HOURS]!r} is not a number") from err
        if not 0 < hours <= 24 * 7:
            raise ConfigError(f"{MAX_HOURS}: {hours} is not above 0 and at most 168 hours")
        run = Settings.from_sources({}, {k: v for k, v in merged.items() if k not in OWN})
        return cls(run, secret, timedelta(hours=hours))
