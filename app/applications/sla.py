"""The SLA clock in working days: starts at submit, pauses while the citizen holds the file."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from app.applications.schemas import SlaRead
from app.models import Application
from app.workflow.calendar import WorkingCalendar, default_calendar
from app.workflow.definitions import ACTIVE_STATES, PAUSED_STATES

OFFICE_TIMEZONE = "Asia/Jakarta"


@lru_cache(maxsize=4)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def office_date(moment: datetime, timezone: str = OFFICE_TIMEZONE) -> date:
    """The calendar day at the office for an aware moment (deadlines are office days)."""
    return moment.astimezone(_zone(timezone)).date()


def due_date(
    *, submitted: datetime, sla_days: int, calendar: WorkingCalendar | None = None
) -> date:
    """The working day by which a decision is due, counting from the day after submission."""
    return (calendar or default_calendar()).add_working_days(office_date(submitted), sla_days)


def resumed_due_date(
    *, due: date, paused_at: datetime, resumed_at: datetime, calendar: WorkingCalendar | None = None
) -> tuple[date, int]:
    """Push the due date by the working days the citizen held the file; returns (due, paused)."""
    calendar = calendar or default_calendar()
    paused = max(0, calendar.working_days_between(office_date(paused_at), office_date(resumed_at)))
    return (calendar.add_working_days(due, paused) if paused else due), paused


def sla_view(
    application: Application, *, now: datetime, calendar: WorkingCalendar | None = None
) -> SlaRead:
    """Due date, working days left (frozen while paused) and whether it is overdue now."""
    calendar = calendar or default_calendar()
    paused = application.state in PAUSED_STATES
    left = None
    if application.due_at is not None and (application.state in ACTIVE_STATES or paused):
        reference_day = office_date(
            application.paused_at if paused and application.paused_at else now
        )
        left = calendar.working_days_between(reference_day, application.due_at)
    return SlaRead(
        due_at=application.due_at,
        working_days_left=left,
        paused=paused,
        paused_working_days=application.paused_working_days,
        overdue=is_overdue(application.state, application.due_at, now=now),
    )


def is_overdue(state: str, due: date | None, *, now: datetime) -> bool:
    """Only a file the authority holds can be overdue: past the end of its due working day."""
    return state in ACTIVE_STATES and due is not None and office_date(now) > due
