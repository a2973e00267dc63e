"""The catalog file schema, checked by hand so every problem is reported at once.

A catalog file is YAML: ``schedules:`` followed by a list of schedules, each with
``name`` and either ``periods`` or ``cron``, and optionally ``description``,
``timezone``, ``holidays`` and ``hibernate``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from functools import cache
from typing import Any

from schedules.calendars import check_holidays
from schedules.cron import normalize_cron
from schedules.days import parse_clock, parse_day_token
from schedules.errors import ScheduleError
from schedules.inline import describe_periods
from schedules.model import CronPair, Holidays, Moment, Period, Schedule, Sides, Source
from schedules.onesided import describe_moments
from schedules.zones import canonical_zone

NAME = re.compile(r"[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?")
RESERVED_NAMES = frozenset({"off"})  # Custodian's opt-out value
_SCHEDULE_KEYS = {
    "name",
    "description",
    "timezone",
    "periods",
    "cron",
    "holidays",
    "hibernate",
    "catch_up",
    "maintenance",
}
_PERIOD_KEYS = {"days", "start", "stop"}
_CRON_KEYS = {"start", "stop"}
_HOLIDAY_KEYS = {"country", "subdivision", "dates"}
_DURATION = re.compile(r"(?=[0-9])(?:([0-9]{1,3})h)?(?:([0-9]{1,5})m)?")
MIN_CATCH_UP = timedelta(minutes=1)
MAX_CATCH_UP = timedelta(hours=168)
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


@cache
def _loader() -> type[Any]:
    """SafeLoader without YAML 1.1 base-60 numbers (an unquoted 19:00 stays a string) and
    without implicit timestamps (a bad date becomes a reported problem, not a crash).
    Built on first use: PyYAML is only needed when a catalog file is read."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT, _FLOAT, _TIMESTAMP)]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver(
        _INT, re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$"), list("-+0123456789")
    )
    Loader.add_implicit_resolver(
        _FLOAT, re.compile(r"^[-+]?[0-9]*\.[0-9]+(?:[eE][-+]?[0-9]+)?$"), list("-+0123456789.")
    )
    return Loader


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


def _shape(item: dict[Any, Any]) -> Sides:
    if "start" in item and "stop" not in item:
        return Sides.START_ONLY
    if "stop" in item and "start" not in item:
        return Sides.STOP_ONLY
    return Sides.BOTH


def _periods(value: object, report: Report) -> tuple[Sides, tuple[Period | Moment, ...]] | None:
    """Periods, or the moments of a stop-only / start-only schedule (entries with only a
    stop, or only a start); one schedule is one of the three shapes as a whole."""
    if not isinstance(value, list):
        report("periods", "must be a list of {days, start, stop} (an empty list: never running)")
        return None
    found: list[Period | Moment] = []
    shapes = {_shape(item) for item in value if isinstance(item, dict)}
    ok = len(shapes) <= 1
    if not ok:
        report(
            "periods",
            "mixes entries with start and stop, only a stop and only a start: "
            "a schedule is two-sided, stop-only or start-only as a whole",
        )
    sides = shapes.pop() if len(shapes) == 1 else Sides.BOTH
    for i, item in enumerate(value):
        where = f"periods[{i}]"
        if not isinstance(item, dict):
            report(where, "must be a mapping {days: mon-fri, start: '08:00', stop: '19:00'}")
            ok = False
            continue
        _unknown_keys(item, _PERIOD_KEYS, f"{where}.", report)
        entry = (
            _period(item, where, report) if sides is Sides.BOTH else _moment(item, where, report)
        )
        ok = ok and entry is not None
        if entry is not None:
            found.append(entry)
    return (sides, tuple(found)) if ok else None


def _clock(value: object, field: str, report: Report, *, is_stop: bool) -> int | None:
    text = _text(value, field, report, required=True)
    if text is None:
        return None
    result: int | None = _check(report, field, parse_clock, text, is_stop)
    return result


def _day_word(word: object) -> str:
    return parse_day_token(str(word))[0]


def _days(item: dict[Any, Any], where: str, report: Report) -> list[str | None]:
    raw_days = item.get("days", "daily")
    words = raw_days if isinstance(raw_days, list) else str(raw_days).split(",")
    if not words:
        report(f"{where}.days", "must name at least one day")
        return [None]
    return [_check(report, f"{where}.days", _day_word, w) for w in words]


def _moment(item: dict[Any, Any], where: str, report: Report) -> Moment | None:
    side = "stop" if "stop" in item else "start"
    days = _days(item, where, report)
    minute = _clock(item.get(side), f"{where}.{side}", report, is_stop=False)
    if None in days or minute is None:
        return None
    return Moment(tuple(d for d in days if d is not None), minute)


def _period(item: dict[Any, Any], where: str, report: Report) -> Period | None:
    days = _days(item, where, report)
    start = _clock(item.get("start"), f"{where}.start", report, is_stop=False)
    stop = _clock(item.get("stop"), f"{where}.stop", report, is_stop=True)
    if None in days or start is None or stop is None:
        return None
    if start == stop:
        report(where, "start equals stop; write 00:00-24:00 for all day, or leave the day out")
        return None
    return Period(tuple(d for d in days if d is not None), start, stop)


def _cron(value: object, report: Report) -> tuple[Sides, CronPair] | None:
    """A start/stop pair, or one side alone (a stop-only or start-only schedule)."""
    if not isinstance(value, dict):
        report("cron", "must be a mapping {start: '0 8 * * 1-5', stop: '0 19 * * 1-5'}")
        return None
    _unknown_keys(value, _CRON_KEYS, "cron.", report)
    sides = _shape(value)
    if not value.keys() & _CRON_KEYS:
        report(
            "cron", "needs start, stop or both (only a stop: stop-only; only a start: start-only)"
        )
        return None
    start = stop = None
    if "start" in value:
        start = _check(report, "cron.start", normalize_cron, value["start"])
    if "stop" in value:
        stop = _check(report, "cron.stop", normalize_cron, value["stop"])
    if (start is None) != (sides is Sides.STOP_ONLY) or (stop is None) != (
        sides is Sides.START_ONLY
    ):
        return None
    return sides, CronPair(start, stop)


def _catch_up(value: object, report: Report) -> timedelta | None:
    text = _text(value, "catch_up", report, required=True)
    if text is None:
        return None
    match = _DURATION.fullmatch(text.lower().replace(" ", ""))
    total = timedelta(hours=int(match[1] or 0), minutes=int(match[2] or 0)) if match else None
    if total is None or not MIN_CATCH_UP <= total <= MAX_CATCH_UP:
        report("catch_up", f"'{text}' is not a duration like 4h, 90m or 1h30m, from 1m to 168h")
        return None
    return total


def _maintenance(value: object, zone: str, report: Report) -> tuple[str, ...]:
    """Maintenance windows as inline schedules: one text or a list of them."""
    from schedules.maintenance import parse_window

    texts = [value] if isinstance(value, str) else value
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        report("maintenance", "must be a window like 'sun 02:00-04:00 Europe/Berlin', or a list")
        return ()
    for i, text in enumerate(texts):
        _check(report, f"maintenance[{i}]", parse_window, text, zone)
    return tuple(texts)


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
    shape, cron = _entries(doc, report)
    catch_up = _catch_up(doc["catch_up"], report) if "catch_up" in doc else None
    if catch_up is not None and shape is not None and shape[0] is Sides.BOTH:
        report("catch_up", "applies to stop-only and start-only schedules only")
    holidays = _holidays(doc["holidays"], report) if "holidays" in doc else None
    maintenance = _maintenance(doc.get("maintenance", []), zone or default_tz, report)
    if len(problems) > before or text_name is None or zone is None or shape is None:
        return None
    sides, entries = shape
    periods = tuple(e for e in entries if isinstance(e, Period))
    moments = tuple(e for e in entries if isinstance(e, Moment))
    return Schedule(
        name=text_name,
        description=description or _described(sides, periods, moments, cron, zone),
        timezone=zone,
        hibernate=hibernate,
        periods=periods,
        cron=cron,
        holidays=holidays,
        source=Source.CATALOG,
        sides=sides,
        moments=moments,
        catch_up=catch_up,
        maintenance=maintenance,
    )


def _entries(
    doc: dict[str, Any], report: Report
) -> tuple[tuple[Sides, tuple[Period | Moment, ...]] | None, CronPair | None]:
    """The schedule's sides and entries from ``periods`` or ``cron`` (exactly one given)."""
    if ("periods" in doc) == ("cron" in doc):
        report("periods", "give either periods or cron (not both, not neither)")
        return (Sides.BOTH, ()), None
    if "periods" in doc:
        return _periods(doc["periods"], report), None
    found = _cron(doc["cron"], report)
    return ((found[0], ()), found[1]) if found else (None, None)


def _described(
    sides: Sides,
    periods: tuple[Period, ...],
    moments: tuple[Moment, ...],
    cron: CronPair | None,
    zone: str,
) -> str:
    """The description a schedule without one is given."""
    if sides is Sides.BOTH:
        return describe_periods(periods, zone)
    if cron is not None:
        return f"{sides.value}: cron {cron.stop or cron.start} ({zone})"
    return describe_moments(sides, moments, zone)


def parse_catalog_text(text: str, origin: str, default_tz: str) -> tuple[list[Schedule], list[str]]:
    """All schedules in one catalog file, and every problem found, each prefixed with ``origin``."""
    import yaml

    problems: list[str] = []
    try:
        doc = yaml.load(text, Loader=_loader())
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
