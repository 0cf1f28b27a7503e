"""Working-day calendar for SLA deadlines: Monday to Friday minus public holidays and, where the
``holidays`` library knows them, government days off (in Indonesia: cuti bersama).

Counting is arithmetic on whole weeks plus a binary search in each year's sorted holiday list, so
deadlines far in the future cost no more than near ones.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import cache

import holidays
from holidays.constants import GOVERNMENT, PUBLIC

# In Indonesia the GOVERNMENT category holds cuti bersama (joint leave), when offices are closed.
_CATEGORIES = (PUBLIC, GOVERNMENT)
_EXTRA_NAME = "Hari libur tambahan"
# Jakarta's government offices serve the public from 08:00 to 16:00 on working days.
OFFICE_OPENS, OFFICE_CLOSES = time(8, 0), time(16, 0)


class WorkingCalendar:
    """Which days an authority works, with per-year holiday lists computed once and cached."""

    def __init__(
        self,
        *,
        country: str = "ID",
        extra_holidays: Iterable[date] = (),
        language: str | None = None,
    ) -> None:
        try:
            probe = holidays.country_holidays(country)
        except NotImplementedError:
            raise ValueError(f"The holidays library has no calendar for {country!r}") from None
        self._country = country
        self._categories = tuple(c for c in _CATEGORIES if c in probe.supported_categories)
        # Left unset, the library picks the name language from LANGUAGE/LC_ALL/LANG, so names
        # would differ between a shell and a server; default to the country's own language.
        self._language = language or probe.default_language
        self._extra = frozenset(extra_holidays)
        # Filled lazily per year. Two threads racing on a missing year compute the same value,
        # so the race is harmless and needs no lock.
        self._names: dict[int, dict[date, str]] = {}
        self._closed_weekdays: dict[int, list[date]] = {}

    def holidays_in(self, year: int) -> dict[date, str]:
        """Holiday names (in the country's own language by default) by date, weekends included."""
        return dict(self._year_names(year))

    def is_working_day(self, day: date) -> bool:
        """True on a weekday that is not a holiday."""
        return day.weekday() < 5 and day not in self._year_names(day.year)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in ``(start, end]``; negative (mirrored) when ``end`` precedes ``start``."""
        if end < start:
            return -self.working_days_between(end, start)
        weekdays = _weekdays_through(end) - _weekdays_through(start)
        return weekdays - self._closed_weekdays_in(start, end)

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start``; for 0, ``start`` or the next working day."""
        if days < 0:
            raise ValueError(f"days must be >= 0, got {days}")
        if days == 0:
            return start if self.is_working_day(start) else self.add_working_days(start, 1)
        current, remaining = start, days
        # Jump as if there were no holidays, then make up for the holidays jumped over. Landing on
        # a holiday leaves remaining > 0, so the loop only stops on a working day.
        while remaining > 0:
            candidate = _add_weekdays(current, remaining)
            remaining -= self.working_days_between(current, candidate)
            current = candidate
        return current

    def add_office_hours(
        self,
        start: datetime,
        hours: float,
        *,
        opens: time = OFFICE_OPENS,
        closes: time = OFFICE_CLOSES,
    ) -> datetime:
        """The office-clock moment ``hours`` office hours after ``start`` (both naive wall-clock
        times at the office): only the hours between ``opens`` and ``closes`` on working days
        count, so a report filed on Friday evening with 8 hours is due on Monday at closing."""
        if hours < 0:
            raise ValueError(f"hours must be >= 0, got {hours}")
        if start.tzinfo is not None:
            raise ValueError("start must be a naive wall-clock time at the office")
        if not opens < closes:
            raise ValueError("the office must open before it closes")
        remaining = timedelta(hours=hours)
        moment = self._next_open_moment(start, opens, closes)
        while True:
            closing = datetime.combine(moment.date(), closes)
            if moment + remaining <= closing:
                return moment + remaining
            remaining -= closing - moment
            following = self.add_working_days(moment.date(), 1)
            moment = datetime.combine(following, opens)

    def _next_open_moment(self, start: datetime, opens: time, closes: time) -> datetime:
        """``start`` if the office is open then, else the next moment it opens."""
        day = start.date()
        if self.is_working_day(day) and start.time() < closes:
            return max(start, datetime.combine(day, opens))
        return datetime.combine(self.add_working_days(day, 1), opens)

    def _year_names(self, year: int) -> dict[date, str]:
        names = self._names.get(year)
        if names is None:
            names = self._load_year(year)
            # Sorted list first: whoever sees the year in _names may rely on it being there.
            self._closed_weekdays[year] = sorted(day for day in names if day.weekday() < 5)
            self._names[year] = names
        return names

    def _load_year(self, year: int) -> dict[date, str]:
        found = holidays.country_holidays(
            self._country, years=year, categories=self._categories, language=self._language
        )
        names = dict(found)
        for day in self._extra:
            if day.year == year:
                names.setdefault(day, _EXTRA_NAME)
        return names

    def _closed_weekdays_in(self, start: date, end: date) -> int:
        """Holidays falling on a weekday in ``(start, end]``."""
        count = 0
        for year in range(start.year, end.year + 1):
            self._year_names(year)
            closed = self._closed_weekdays[year]
            count += bisect_right(closed, end) - bisect_right(closed, start)
        return count


def _weekdays_through(day: date) -> int:
    """Weekdays from 0001-01-01 (a Monday, ordinal 1) through ``day`` inclusive."""
    weeks, rest = divmod(day.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


def _add_weekdays(day: date, count: int) -> date:
    """The ``count``-th weekday after ``day`` (``count`` >= 1), ignoring holidays."""
    # Inverse of _weekdays_through: the k-th weekday since ordinal 1.
    k = _weekdays_through(day) + count
    weeks, offset = divmod(k - 1, 5)
    return date.fromordinal(weeks * 7 + offset + 1)


@cache
def default_calendar() -> WorkingCalendar:
    """The shared Indonesian calendar (its per-year cache is the point of sharing it)."""
    return WorkingCalendar()
