"""The one error type for bad schedule input."""

from __future__ import annotations

from collections.abc import Sequence

VALID_FORMS = (
    "valid forms: a catalog name (office-hours, weekdays, ...); "
    "inline 'mon-fri 08:00-19:00 Europe/Berlin' (expressions joined by ','); "
    "label-safe 'mon-fri_0800-1900_europe-berlin'; "
    "Cloud Custodian 'off=(M-F,19);on=(M-F,7);tz=pt'; "
    "one-sided 'stop-only 19:00 Europe/Berlin' or 'start-only_mon-fri_0700_utc'; 'off' opts out"
)


class ScheduleError(ValueError):
    """Bad schedule input: str() names the offending token and the valid forms.

    ``problems`` holds one line per problem (a catalog load reports all of them at once).
    """

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems: tuple[str, ...] = tuple(problems) or (message,)

    @classmethod
    def many(cls, problems: Sequence[str]) -> ScheduleError:
        count = len(problems)
        head = f"{count} problem{'s' if count != 1 else ''} in schedule catalog:"
        return cls("\n".join([head, *(f"  - {p}" for p in problems)]), problems)
