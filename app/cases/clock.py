"""The SLA clock in working days: it starts at submission, runs while the authority holds the
file, pauses while the resident does, and stops when the case is decided or closed.

Whether it runs in a given state is the workflow's word (``State.clock``), never a list here.
"""

from __future__ import annotations

from datetime import date, datetime

from app.cases.schemas import SlaRead
from app.models import Case
from app.office import office_date
from app.workflow.calendar import WorkingCalendar, default_calendar
from app.workflow.engine import State


def due_date(
    *, submitted: datetime, sla_days: int, calendar: WorkingCalendar | None = None
) -> date:
    """The working day by which a decision is due, counting from the day after submission."""
    return (calendar or default_calendar()).add_working_days(office_date(submitted), sla_days)


def resumed_due_date(
    *, due: date, paused_at: datetime, resumed_at: datetime, calendar: WorkingCalendar | None = None
) -> tuple[date, int]:
    """Push the due date by the working days the resident held the file; returns (due, paused)."""
    calendar = calendar or default_calendar()
    paused = max(0, calendar.working_days_between(office_date(paused_at), office_date(resumed_at)))
    return (calendar.add_working_days(due, paused) if paused else due), paused


def sla_view(
    case: Case, state: State, *, today: date, calendar: WorkingCalendar | None = None
) -> SlaRead:
    """Due date, working days left (frozen while paused) and whether it is overdue on the
    office day ``today``.

    ``case`` may also be a query row with the same column names (the queue)."""
    calendar = calendar or default_calendar()
    paused = state.clock == "paused"
    left = None
    if case.due_at is not None and state.clock != "stopped":
        reference_day = office_date(case.paused_at) if paused and case.paused_at else today
        left = calendar.working_days_between(reference_day, case.due_at)
    return SlaRead(
        due_at=case.due_at,
        working_days_left=left,
        paused=paused,
        paused_working_days=case.paused_working_days,
        overdue=is_overdue(state, case.due_at, today=today),
        extended_days=getattr(case, "extended_days", 0) or 0,
        warned_at=getattr(case, "sla_warned_at", None),
        escalated_at=getattr(case, "escalated_at", None) if state.clock == "runs" else None,
    )


def is_overdue(state: State, due: date | None, *, today: date) -> bool:
    """Only a file the authority holds can be overdue: past the end of its due working day."""
    return state.clock == "runs" and due is not None and today > due
