"""Queries for complaint statistics: aggregates over the complaints submitted in a period,
grouped in the database by (category, department), so no query returns a row per complaint.

Durations come back as histograms (whole hours -> how many complaints) that
``app.stats.figures.median_of`` and ``percentile_of`` read; a period's cases are an index range
of ``ix_cases_kind_submitted``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import Date as SqlDate
from sqlalchemy import Integer, and_, case, cast, func, literal, or_, true
from sqlalchemy import select as core_select
from sqlalchemy.sql.elements import ColumnElement

from app.db import Session, table_of
from app.models import Case, Complaint, ComplaintCategory, Department, Event

_CASES = table_of(Case)
_COMPLAINTS = table_of(Complaint)
_EVENTS = table_of(Event)
_CATEGORIES = table_of(ComplaintCategory)
_DEPARTMENTS = table_of(Department)
KIND = "complaint"
# (category code, department id): the cell every figure is first counted in.
Group = tuple[str, int]
COUNT_NAMES = (
    "received",
    "responded",
    "responded_in_time",
    "resolved",
    "resolved_in_time",
    "fixed",
    "reopened",
    "rated",
    "rating_sum",
)


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _hours(session: Session, later, earlier):
    """Whole hours from ``earlier`` to ``later`` (both UTC), on either database."""
    if _is_postgres(session):
        return cast(func.floor(func.extract("epoch", later - earlier) / 3600), Integer)
    # julianday is a float: round to whole seconds first (7 h came out as 6.99999... h).
    seconds = cast(func.round((func.julianday(later) - func.julianday(earlier)) * 86400), Integer)
    return seconds // 3600


def _office_day(session: Session, moment, *, zone: str, offset: timedelta):
    """The office's calendar day of a UTC moment. SQLite has no time zones: it shifts by the
    zone's current offset (Jakarta keeps one all year)."""
    if _is_postgres(session):
        return cast(func.timezone(zone, moment), SqlDate)
    return func.date(moment, f"{int(offset.total_seconds()):+d} seconds")


FIXED, REOPENED = "complaint.verified", "complaint.reopened"


def _marks(start: datetime):
    """Per case, whether a fix was ever verified and whether it was ever reopened: events of
    two actions since ``start`` (a report's events follow its submission), an index range of
    ``ix_events_action_created`` rather than a lookup per report."""
    e = _EVENTS.c

    def ever(action: str):
        return func.max(case((e.action == action, 1), else_=0)).label(action.split(".")[1])

    return (
        core_select(e.case_id, ever(FIXED), ever(REOPENED))
        .where(e.action.in_([FIXED, REOPENED]), e.created_at >= start)
        .group_by(e.case_id)
        .subquery("marks")
    )


def _period(start: datetime, end: datetime):
    c = _CASES.c
    return and_(c.kind == KIND, c.submitted_at >= start, c.submitted_at < end)


def _joined():
    return _CASES.join(_COMPLAINTS, _COMPLAINTS.c.id == _CASES.c.id)


def period_counts(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    resolved_states: list[str],
    zone: str,
    offset: timedelta,
) -> dict[Group, dict[str, int]]:
    """Counts per (category, department) of the complaints submitted in ``start``..``end``:
    received, first responses (and those by the response deadline), fixes still standing
    (and those by the due working day), fixes ever verified, reopened, rated, sum of ratings."""
    c, k = _CASES.c, _COMPLAINTS.c
    resolved = and_(c.state.in_(resolved_states), c.decided_at.is_not(None))
    on_time = and_(
        resolved,
        or_(
            c.due_at.is_(None),
            _office_day(session, c.decided_at, zone=zone, offset=offset) <= c.due_at,
        ),
    )
    responded = k.first_response_at.is_not(None)
    marks = _marks(start)
    fixed, reopened = marks.c.verified == 1, marks.c.reopened == 1

    def counted(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = (
        core_select(
            k.category_code,
            c.department_id,
            func.count(),
            counted(responded),
            counted(and_(responded, k.first_response_at <= k.response_due_at)),
            counted(resolved),
            counted(on_time),
            counted(fixed),
            counted(reopened),
            counted(k.rating.is_not(None)),
            func.coalesce(func.sum(k.rating), 0),
        )
        .select_from(_joined().outerjoin(marks, marks.c.case_id == c.id))
        .where(_period(start, end))
        .group_by(k.category_code, c.department_id)
    )
    return {
        (row[0], row[1]): dict(zip(COUNT_NAMES, map(int, row[2:]), strict=True))
        for row in session.execute(query)
    }


def period_hours(
    session: Session, *, start: datetime, end: datetime, moment: str, resolved_states: list[str]
) -> dict[Group, dict[int, int]]:
    """Per (category, department), how many complaints submitted in the period took each whole
    number of hours to ``moment``: ``response`` (the first response) or ``resolution`` (the
    verified fix of a report still resolved)."""
    c, k = _CASES.c, _COMPLAINTS.c
    condition: ColumnElement[bool]
    if moment == "response":
        until, condition = k.first_response_at, k.first_response_at.is_not(None)
    else:
        until = c.decided_at
        condition = and_(c.state.in_(resolved_states), c.decided_at.is_not(None))
    hours = _hours(session, until, c.submitted_at).label("hours")
    query = (
        core_select(k.category_code, c.department_id, hours, func.count())
        .select_from(_joined())
        .where(_period(start, end), condition)
        .group_by(k.category_code, c.department_id, hours)
    )
    out: dict[Group, dict[int, int]] = defaultdict(dict)
    for code, department_id, taken, count in session.execute(query):
        out[code, department_id][max(0, int(taken))] = int(count)
    return out


def open_now(session: Session) -> dict[Group, int]:
    """Open complaints (Open311 "open") per (category, department), whenever submitted."""
    c, k = _CASES.c, _COMPLAINTS.c
    query = (
        core_select(k.category_code, c.department_id, func.count())
        .select_from(_joined())
        .where(k.open)  # the partial index ix_complaints_open: only the open reports
        .group_by(k.category_code, c.department_id)
    )
    return {(row[0], row[1]): int(row[2]) for row in session.execute(query)}


def current_categories(session: Session) -> list:
    """(code, name_id, name_en, department id, response hours, resolution days) of every
    current category, by code."""
    g = _CATEGORIES.c
    query = (
        core_select(
            g.code, g.name_id, g.name_en, g.department_id, g.response_hours, g.resolution_days
        )
        .where(g.is_current == true())
        .order_by(g.code)
    )
    return list(session.execute(query))


# Open data: one row per public report


def public_reports(session: Session, *, since: datetime, batch: int = 2000) -> Iterator[list]:
    """Public reports submitted since ``since``, in (submitted_at, id) order, a batch at a time
    (keyset pages: the whole file is never one result held in memory). Only what the open data
    publishes is selected: never the description, a name, a contact or an account."""
    c, k, g, d = _CASES.c, _COMPLAINTS.c, _CATEGORIES.c, _DEPARTMENTS.c
    base = (
        core_select(
            c.id,
            c.reference,
            k.category_code,
            g.name_id,
            g.name_en,
            c.state,
            c.workflow,
            c.submitted_at,
            c.updated_at,
            d.code.label("department_code"),
            d.name.label("department_name"),
            k.area_code,
            k.latitude,
            k.longitude,
        )
        .select_from(
            _joined()
            .join(_CATEGORIES, g.id == k.category_id)
            .join(_DEPARTMENTS, d.id == c.department_id)
        )
        .where(c.kind == KIND, c.submitted_at >= since, k.public == true(), g.public == true())
        .order_by(c.submitted_at, c.id)
        .limit(batch)
    )
    after: tuple | None = None
    while True:
        query = base
        if after is not None:
            moment, last = after
            query = query.where(
                or_(
                    c.submitted_at > literal(moment, c.submitted_at.type),
                    and_(c.submitted_at == literal(moment, c.submitted_at.type), c.id > last),
                )
            )
        rows = list(session.execute(query))
        if rows:
            yield rows
        if len(rows) < batch:
            return
        after = (rows[-1].submitted_at, rows[-1].id)
