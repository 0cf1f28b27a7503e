"""The office's local time: the one place that knows the time zone (``LOKET_TIMEZONE``).

Deadlines are office days and pages show office time, so every module asks here instead of
naming a zone. ``build_runtime`` configures it from the settings when a process starts; until
then (a bare import in a script) it is the default, Asia/Jakarta.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "Asia/Jakarta"
_zone = ZoneInfo(DEFAULT_TIMEZONE)


def configure(timezone: str) -> None:
    """Use ``timezone`` (an IANA name, checked by the settings) for this process."""
    global _zone
    _zone = ZoneInfo(timezone)


def zone() -> ZoneInfo:
    return _zone


def local_time(moment: datetime) -> datetime:
    """An aware moment as the office's wall clock shows it."""
    return moment.astimezone(_zone)


def office_date(moment: datetime) -> date:
    """The calendar day at the office for an aware moment."""
    return moment.astimezone(_zone).date()


def today() -> date:
    """The office day now."""
    return datetime.now(UTC).astimezone(_zone).date()


def end_of_day(day: date) -> datetime:
    """The instant (UTC) an office day ends: midnight at the office after ``day``."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=_zone).astimezone(UTC)
