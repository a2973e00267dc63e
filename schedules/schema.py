"""The catalog file schema, checked by hand so every problem is reported at once.

A catalog file is YAML: ``schedules:`` followed by a list of schedules, each with
``name`` and either ``periods`` or ``cron``, and optionally ``description``,
``timezone``, ``holidays`` and ``hibernate``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import yaml

from schedules.calendars import check_holidays
from schedules.cron import normalize_cron
from schedules.days import parse_clock, parse_day_token
from schedules.errors import ScheduleError
from schedules.inline import describe_periods
from schedules.model import CronPair, Holidays, Period, Schedule, Source
from schedules.zones import canonical_zone

NAME = re.compile(r"[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?")
RESERVED_NAMES = frozenset({"off"})  # Custodian's opt-out value
_SCHEDULE_KEYS = {"name", "description", "timezone", "periods", "cron", "holidays", "hibernate"}
_PERIOD_KEYS = {"days", "start", "stop"}
_CRON_KEYS = {"start", "stop"}
_HOLIDAY_KEYS = {"country", "subdivision", "dates"}
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class _Loader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1 base-60 numbers (an unquoted 19:00 stays a string) and
    without implicit timestamps (a bad date becomes a reported problem, not a crash)."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT, _FLOAT, _TIMESTAMP)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_INT, re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    _FLOAT, re.compile(r"^[-+]?[0-9]*\.[0-9]+(?:[eE][-+]?[0-9]+)?$"), list("-+0123456789.")
)

Report = Callable[[str, str], None]  # (field, message)


def _text(value: object, field: str, report: Report, *, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if isinstance(value, str) and value.strip():
        return value.strip()
    hint = (
        " (YAML reads unquoted on/off/yes/no as booleans: quote it)"
        if isinstance(value, bool)
        else ""
    )
    report(field, f"must be non-empty text, got {value!r}{hint}")
    return None


def _check(report: Report, field: str, parse: Callable[..., Any], *args: Any) -> Any:
    """``parse(*args)``, or None after reporting its ScheduleError against ``field``."""
    try:
        return parse(*args)
    except ScheduleError as err:
        report(field, str(err))
        return None


def _unknown_keys(doc: dict[Any, Any], allowed: set[str], where: str, report: Report) -> None:
    for key in doc:
        if key not in allowed:
            report(f"{where}{key}", f"unknown field; allowed: {', '.join(sorted(allowed))}")


def _periods(value: object, report: Report) -> tuple[Period, ...] | None:
    if not isinstance(value, list):
        report("periods", "must be a list of {days, start, stop} (an empty list: never running)")
        return None
    periods: list[Period] = []
    ok = True
    for i, item in enumerate(value):
        where = f"periods[{i}]"
        if not isinstance(item, dict):
            report(where, "must be a mapping {days: mon-fri, start: '08:00', stop: '19:00'}")
            ok = False
            continue
        _unknown_keys(item, _PERIOD_KEYS, f"{where}.", report)
        period = _period(item, where, report)
        ok = ok and period is not None
        if period is not None:
            periods.append(period)
    return tuple(periods) if ok else None


def _clock(value: object, field: str, report: Report, *, is_stop: bool) -> int | None:
    text = _text(value, field, report, required=True)
    if text is None:
        return None
    result: int | None = _check(report, field, parse_clock, text, is_stop)
    return result


def _day_word(word: object) -> str:
    return parse_day_token(str(word))[0]


def _period(item: dict[Any, Any], where: str, report: Report) -> Period | None:
    raw_days = item.get("days", "daily")
    words = raw_days if isinstance(raw_days, list) else str(raw_days).split(",")
    if not words:
        report(f"{where}.days", "must name at least one day")
    days = [_check(report, f"{where}.days", _day_word, w) for w in words]
    start = _clock(item.get("start"), f"{where}.start", report, is_stop=False)
    stop = _clock(item.get("stop"), f"{where}.stop", report, is_stop=True)
    if not words or None in days or start is None or stop is None:
        return None
    if start == stop:
        report(where, "start equals stop; write 00:00-24:00 for all day, or leave the day out")
        return None
    return Period(tuple(days), start, stop)


def _cron(value: object, report: Report) -> CronPair | None:
    if not isinstance(value, dict):
        report("cron", "must be a mapping {start: '0 8 * * 1-5', stop: '0 19 * * 1-5'}")
        return None
    _unknown_keys(value, _CRON_KEYS, "cron.", report)
    start = _check(report, "cron.start", normalize_cron, value.get("start"))
    stop = _check(report, "cron.stop", normalize_cron, value.get("stop"))
    return CronPair(start, stop) if start and stop else None


def _date(value: object) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as err:
        raise ScheduleError(f"'{value}' is not a date; valid: YYYY-MM-DD") from err


def _holidays(value: object, report: Report) -> Holidays | None:
    if not isinstance(value, dict):
        report("holidays", "must be a mapping {country: US, subdivision: CA, dates: [2026-12-24]}")
        return None
    _unknown_keys(value, _HOLIDAY_KEYS, "holidays.", report)
    country = _text(value.get("country"), "holidays.country", report) or ""
    subdivision = _text(value.get("subdivision"), "holidays.subdivision", report) or ""
    if subdivision and not country:
        report("holidays.subdivision", "needs a country")
    codes = ("", "")
    if country:
        codes = _check(report, "holidays.country", check_holidays, country, subdivision)
    raw_dates = value.get("dates", [])
    if not isinstance(raw_dates, list):
        report("holidays.dates", "must be a list of dates YYYY-MM-DD")
        raw_dates = []
    dates = [_check(report, f"holidays.dates[{i}]", _date, d) for i, d in enumerate(raw_dates)]
    if codes is None or None in dates:
        return None
    return Holidays(codes[0], codes[1], tuple(sorted(set(dates))))


def parse_schedule(
    doc: object, label: str, default_tz: str, problems: list[str]
) -> Schedule | None:
    """One schedule mapping -> Schedule; appends 'label: schedule NAME: field F: message' lines."""
    name = doc.get("name") if isinstance(doc, dict) else None
    who = f"schedule '{name}'" if isinstance(name, str) else label
    before = len(problems)

    def report(field: str, message: str) -> None:
        problems.append(f"{who}: field '{field}': {message}")

    if not isinstance(doc, dict):
        problems.append(f"{label}: must be a mapping with name and periods or cron")
        return None
    _unknown_keys(doc, _SCHEDULE_KEYS, "", report)
    text_name = _text(doc.get("name"), "name", report, required=True)
    if text_name is not None and (not NAME.fullmatch(text_name) or text_name in RESERVED_NAMES):
        report("name", f"'{text_name}' must be 1-63 of a-z 0-9 - _ (not 'off'), like office-hours")
    description = _text(doc.get("description"), "description", report) or ""
    zone_text = _text(doc.get("timezone"), "timezone", report) or default_tz
    zone = _check(report, "timezone", canonical_zone, zone_text)
    hibernate = doc.get("hibernate", False)
    if not isinstance(hibernate, bool):
        report("hibernate", f"must be true or false, got {hibernate!r}")
    periods: tuple[Period, ...] | None = ()
    cron = None
    if ("periods" in doc) == ("cron" in doc):
        report("periods", "give either periods or cron (not both, not neither)")
    elif "periods" in doc:
        periods = _periods(doc["periods"], report)
    else:
        cron = _cron(doc["cron"], report)
    holidays = _holidays(doc["holidays"], report) if "holidays" in doc else None
    if len(problems) > before or text_name is None or zone is None or periods is None:
        return None
    return Schedule(
        name=text_name,
        description=description or describe_periods(periods, zone),
        timezone=zone,
        hibernate=hibernate,
        periods=periods,
        cron=cron,
        holidays=holidays,
        source=Source.CATALOG,
    )


def parse_catalog_text(text: str, origin: str, default_tz: str) -> tuple[list[Schedule], list[str]]:
    """All schedules in one catalog file, and every problem found, each prefixed with ``origin``."""
    problems: list[str] = []
    try:
        doc = yaml.load(text, Loader=_Loader)
    except (yaml.YAMLError, ValueError) as err:  # ValueError: e.g. an explicit !!timestamp
        mark = getattr(err, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        return [], [f"{origin}:{where} not valid YAML: {getattr(err, 'problem', err)}"]
    if not isinstance(doc, dict) or not isinstance(doc.get("schedules"), list):
        return [], [f"{origin}: must be a mapping with a 'schedules:' list"]
    for key in doc:
        if key != "schedules":
            problems.append(f"{origin}: unknown top-level field '{key}'; only 'schedules'")
    schedules: list[Schedule] = []
    seen: set[str] = set()
    for i, item in enumerate(doc["schedules"]):
        found: list[str] = []
        schedule = parse_schedule(item, f"schedule #{i + 1}", default_tz, found)
        problems.extend(f"{origin}: {p}" for p in found)
        if schedule is None:
            continue
        if schedule.name in seen:
            problems.append(f"{origin}: schedule '{schedule.name}': field 'name': defined twice")
        seen.add(schedule.name)
        schedules.append(schedule)
    return schedules, problems
