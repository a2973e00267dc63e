"""The schedule language: should this resource run at instant t, and when does that change?

Pure: no clock, no environment, no I/O except reading catalog files handed to
``load_catalog``. See README.md in this folder for every grammar.
"""

from schedules.catalog import Catalog, load_catalog
from schedules.errors import ScheduleError
from schedules.evaluate import desired_state, next_transition, running_hours_per_week, transitions
from schedules.inline import to_inline
from schedules.labels import to_label
from schedules.model import (
    CronPair,
    Event,
    Holidays,
    Override,
    Period,
    Schedule,
    Source,
    State,
)
from schedules.overrides import format_override, override_active, parse_override

__all__ = [
    "Catalog",
    "CronPair",
    "Event",
    "Holidays",
    "Override",
    "Period",
    "Schedule",
    "ScheduleError",
    "Source",
    "State",
    "desired_state",
    "format_override",
    "load_catalog",
    "next_transition",
    "override_active",
    "parse_override",
    "running_hours_per_week",
    "to_inline",
    "to_label",
    "transitions",
]
