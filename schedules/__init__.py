"""The schedule language: should this resource run at instant t, and when does that change?

Pure: no clock, no environment, no I/O except reading catalog files handed to
``load_catalog``. See README.md in this folder for every grammar.
"""

from schedules.catalog import Catalog, load_catalog
from schedules.errors import ScheduleError
from schedules.evaluate import (
    desired_state,
    next_transition,
    running_hours_per_week,
    switch_at,
    transitions,
    wanted_state,
)
from schedules.inline import to_inline
from schedules.labels import to_label
from schedules.model import (
    CronPair,
    Event,
    Holidays,
    Moment,
    Override,
    Period,
    Schedule,
    Sides,
    Source,
    State,
    Switch,
)
from schedules.overrides import format_override, override_active, parse_override

__all__ = [
    "Catalog",
    "CronPair",
    "Event",
    "Holidays",
    "Moment",
    "Override",
    "Period",
    "Schedule",
    "ScheduleError",
    "Sides",
    "Source",
    "State",
    "Switch",
    "desired_state",
    "format_override",
    "load_catalog",
    "next_transition",
    "override_active",
    "parse_override",
    "running_hours_per_week",
    "switch_at",
    "to_inline",
    "to_label",
    "transitions",
    "wanted_state",
]
