"""Settings of the snooze function: the run's own (``functions.settings.Settings``, read
from the same environment), and what the snooze needs of them: the name of the secret that
holds its key (never the key), the cap on an override (``snooze_max_hours``) and the run's
settings the service shares with the scheduler (ledger, tag keys, protected tags, zone,
catalog, endpoints).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from functions.jobs.snooze.until import DEFAULT_CAP
from functions.settings import ConfigError, Settings

KEY_SECRET = "OFFHOURS_SNOOZE_KEY_SECRET"


@dataclass(frozen=True)
class SnoozeSettings:
    run: Settings
    key_secret: str
    cap: timedelta = DEFAULT_CAP

    @classmethod
    def from_env(
        cls, env: Mapping[str, str], defaults: Mapping[str, str] | None = None
    ) -> SnoozeSettings:
        run = Settings.from_sources({}, {**(defaults or {}), **env})
        secret = run.snooze_key_secret.strip()
        if not secret:
            raise ConfigError(
                f"snooze_key_secret: name the secret that holds the snooze key ({KEY_SECRET})",
                "snooze_key_secret",
            )
        return cls(run, secret, timedelta(hours=run.snooze_max_hours))
