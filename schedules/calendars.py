"""Holiday calendars: which local dates are off all day.

The ``holidays`` package is imported only when a schedule names a country: it is the
costliest import of the schedule language, and most fleets use none.
"""

from __future__ import annotations

from datetime import date
from functools import cache

from schedules.errors import ScheduleError
from schedules.model import Holidays


@cache
def _supported() -> dict[str, list[str]]:
    import holidays as holidays_lib

    return dict(holidays_lib.list_supported_countries())


def check_holidays(country: str, subdivision: str) -> tuple[str, str]:
    """Canonical (country, subdivision) codes, or ScheduleError naming the bad one."""
    supported = _supported()
    code = country.strip().upper()
    if code not in supported:
        raise ScheduleError(
            f"unknown holiday country '{country}'; valid: an ISO 3166 code the holidays "
            "package supports (US, DE, GB, FR, ...)"
        )
    if not subdivision:
        return code, ""
    subdivisions = {s.upper(): s for s in supported[code]}
    sub = subdivisions.get(subdivision.strip().upper())
    if sub is None:
        sample = ", ".join(list(supported[code])[:8]) or "none"
        raise ScheduleError(
            f"unknown subdivision '{subdivision}' for {code}; valid ones include {sample}"
        )
    return code, sub


class HolidayCalendar:
    """``date in calendar``: national holidays (computed per year, cached) plus explicit dates."""

    def __init__(self, spec: Holidays) -> None:
        self._spec = spec
        self._dates = frozenset(spec.dates)
        self._years: dict[int, frozenset[date]] = {}

    def _year(self, year: int) -> frozenset[date]:
        found = self._years.get(year)
        if found is None:
            found = self._dates
            if self._spec.country:
                import holidays as holidays_lib

                national = holidays_lib.country_holidays(
                    self._spec.country, subdiv=self._spec.subdivision or None, years=year
                )
                found = found | frozenset(national.keys())
            self._years[year] = found
        return found

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and day in self._year(day.year)
