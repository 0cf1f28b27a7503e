"""Queries particular to complaints: their own rows, the duplicate lookup, the public listing,
followers and ratings. The kernel's tables are read here only where a complaint query joins
them (the public listing walks cases and complaints together)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, and_, bindparam, exists, func, select, tuple_, update
from sqlalchemy.sql.elements import ColumnElement

from app.cases.repository import OwnRow, escape_like, register_condition
from app.db import Session, upsert
from app.models import (
    Case,
    Complaint,
    ComplaintCategory,
    ComplaintFollower,
    Department,
    Document,
    Event,
)

COMPLAINTS: Table = Complaint.__table__  # type: ignore[attr-defined]
_CASES: Table = Case.__table__  # type: ignore[attr-defined]
_CATEGORIES: Table = ComplaintCategory.__table__  # type: ignore[attr-defined]
_FOLLOWERS: Table = ComplaintFollower.__table__  # type: ignore[attr-defined]
_DOCUMENTS: Table = Document.__table__  # type: ignore[attr-defined]

# A report is written only while its category version is the current, active one (checked
# inside the one-statement insert on PostgreSQL, as for applications).
_CATEGORY_STILL_OFFERED = exists(
    select(_CATEGORIES.c.id).where(
        _CATEGORIES.c.id == bindparam("o_category_id"),
        _CATEGORIES.c.is_current,
        _CATEGORIES.c.active,
    )
)
AREA_CONDITION = "complaint_area"
# The queue's area filter: the case's complaint lies in the area (a LIKE pattern on the code).
register_condition(
    AREA_CONDITION,
    lambda: exists(
        select(COMPLAINTS.c.id).where(
            COMPLAINTS.c.id == _CASES.c.id,
            COMPLAINTS.c.area_code.like(bindparam(AREA_CONDITION), escape="\\"),
        )
    ),
)


def area_pattern(code: str) -> str:
    """The LIKE pattern of an area and everything inside it."""
    return escape_like(code) + "%"


def own_row(values: dict[str, Any]) -> OwnRow:
    """The complaint's row, as the kernel writes it with the case."""
    return OwnRow(table=COMPLAINTS, values=values, only_if=_CATEGORY_STILL_OFFERED)


def get_complaint(session: Session, complaint_id: uuid.UUID) -> Complaint | None:
    return session.get(Complaint, complaint_id)


def complaints_by_id(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Complaint]:
    wanted = list(ids)
    if not wanted:
        return {}
    rows = session.execute(select(Complaint).where(COMPLAINTS.c.id.in_(wanted))).scalars()
    return {row.id: row for row in rows}


def case_by_reference(session: Session, reference: str) -> Case | None:
    return session.execute(select(Case).where(_CASES.c.reference == reference)).scalar_one_or_none()


def set_first_response(session: Session, complaint_id: uuid.UUID, *, at: datetime) -> None:
    """Record the authority's first answer (only the first one counts)."""
    session.execute(
        update(COMPLAINTS)
        .where(COMPLAINTS.c.id == complaint_id, COMPLAINTS.c.first_response_at.is_(None))
        .values(first_response_at=at)
    )


def set_open(session: Session, complaint_id: uuid.UUID, *, is_open: bool) -> None:
    session.execute(update(COMPLAINTS).where(COMPLAINTS.c.id == complaint_id).values(open=is_open))


def set_duplicate_of(session: Session, complaint_id: uuid.UUID, *, of: uuid.UUID) -> None:
    session.execute(
        update(COMPLAINTS).where(COMPLAINTS.c.id == complaint_id).values(duplicate_of_id=of)
    )


def rate(
    session: Session, complaint_id: uuid.UUID, *, score: int, comment: str | None, at: datetime
) -> bool:
    """Store the rating unless one is there already (one statement: two tries cannot both
    win); False if the report was rated before."""
    result = session.execute(
        update(COMPLAINTS)
        .where(COMPLAINTS.c.id == complaint_id, COMPLAINTS.c.rating.is_(None))
        .values(rating=score, rating_comment=comment, rated_at=at)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def follow(session: Session, *, complaint_id: uuid.UUID, user_id: uuid.UUID, at: datetime) -> None:
    upsert(
        session,
        _FOLLOWERS,
        {"complaint_id": complaint_id, "user_id": user_id, "created_at": at},
        key=("complaint_id", "user_id"),
    )


def photo_counts(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    wanted = list(ids)
    if not wanted:
        return {}
    d = _DOCUMENTS.c
    rows = session.execute(
        select(d.case_id, func.count())
        .where(d.case_id.in_(wanted), d.is_current.is_(True))
        .group_by(d.case_id)
    )
    return {case_id: count for case_id, count in rows}


def photo_requirements(session: Session, case_id: uuid.UUID) -> list[str]:
    d = _DOCUMENTS.c
    rows = session.execute(select(d.requirement).where(d.case_id == case_id))
    return [requirement for (requirement,) in rows]


# --- public reports -----------------------------------------------------------------------------

_PUBLIC_COLUMNS = (
    _CASES.c.id,
    _CASES.c.reference,
    _CASES.c.workflow,
    _CASES.c.state,
    _CASES.c.created_at,
    _CASES.c.updated_at,
    _CASES.c.due_at,
    COMPLAINTS.c.category_id,
    COMPLAINTS.c.category_code,
    COMPLAINTS.c.area_code,
    COMPLAINTS.c.latitude,
    COMPLAINTS.c.longitude,
    COMPLAINTS.c.description,
)


def open_nearby(session: Session, *, category_code: str, cells: list[int]) -> list[Any]:
    """Open public reports of a category in the given grid cells (ix_complaints_duplicates)."""
    return list(session.execute(nearby_query(category_code=category_code, cells=cells)).all())


def nearby_query(*, category_code: str, cells: list[int]) -> Select:
    c = COMPLAINTS.c
    return (
        select(*_PUBLIC_COLUMNS)
        .select_from(COMPLAINTS.join(_CASES, _CASES.c.id == c.id))
        .where(c.category_code == category_code, c.open.is_(True), c.cell.in_(cells), c.public)
        .limit(200)
    )


def public_page(
    session: Session,
    *,
    category_code: str | None,
    area_pattern: str | None,
    states: tuple[str, ...],
    cells: list[int] | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Any]:
    """Public reports, newest first, keyset-paginated on the case's (created_at, id)."""
    c = COMPLAINTS.c
    conditions: list[ColumnElement[bool]] = [c.public.is_(True)]
    if category_code:
        conditions.append(c.category_code == category_code)
    if area_pattern:
        conditions.append(c.area_code.like(area_pattern, escape="\\"))
    if states:
        conditions.append(_CASES.c.state.in_(states))
    if cells is not None:
        conditions.append(c.cell.in_(cells))
    if after is not None:
        conditions.append(tuple_(_CASES.c.created_at, _CASES.c.id) < tuple_(*after))
    query = (
        select(*_PUBLIC_COLUMNS)
        .select_from(COMPLAINTS.join(_CASES, _CASES.c.id == c.id))
        .where(and_(*conditions))
        .order_by(_CASES.c.created_at.desc(), _CASES.c.id.desc())
        .limit(limit)
    )
    return list(session.execute(query).all())


def verified_before(
    session: Session, *, kind: str, states: tuple[str, ...], before: datetime, limit: int = 500
) -> list[uuid.UUID]:
    """Cases of ``kind`` in ``states`` decided before ``before`` (reports left unanswered)."""
    rows = session.execute(
        select(_CASES.c.id)
        .where(
            _CASES.c.kind == kind,
            _CASES.c.state.in_(states),
            _CASES.c.decided_at < before,
        )
        .order_by(_CASES.c.decided_at)
        .limit(limit)
    )
    return [case_id for (case_id,) in rows]


def public_by_reference(session: Session, reference: str) -> Any | None:
    """One public report's row in the public listing's shape, or None."""
    c = COMPLAINTS.c
    query = (
        select(*_PUBLIC_COLUMNS)
        .select_from(COMPLAINTS.join(_CASES, _CASES.c.id == c.id))
        .where(_CASES.c.reference == reference, c.public.is_(True))
    )
    return session.execute(query).first()


# --- Open311 ------------------------------------------------------------------------------------

_DEPARTMENTS: Table = Department.__table__  # type: ignore[attr-defined]
_EVENTS: Table = Event.__table__  # type: ignore[attr-defined]
_OPEN311_COLUMNS = (
    *_PUBLIC_COLUMNS,
    COMPLAINTS.c.address,
    _DEPARTMENTS.c.name.label("department_name"),
)


def open311_requests(
    session: Session,
    *,
    references: list[str],
    codes: list[str],
    states: list[str] | None,
    start: datetime | None,
    end: datetime | None,
    offset: int,
    limit: int,
) -> list[Any]:
    """Public reports for GeoReport's GET requests, newest first: by reference when given
    (the rest ignored), else by category, state and a window of filing times."""
    c = COMPLAINTS.c
    conditions: list[ColumnElement[bool]] = [c.public.is_(True)]
    if references:
        conditions.append(_CASES.c.reference.in_(references))
    else:
        if codes:
            conditions.append(c.category_code.in_(codes))
        if states is not None:
            conditions.append(_CASES.c.state.in_(states))
        if start is not None:
            conditions.append(_CASES.c.created_at >= start)
        if end is not None:
            conditions.append(_CASES.c.created_at <= end)
    query = (
        select(*_OPEN311_COLUMNS)
        .select_from(
            COMPLAINTS.join(_CASES, _CASES.c.id == c.id).join(
                _DEPARTMENTS, _DEPARTMENTS.c.id == _CASES.c.department_id
            )
        )
        .where(and_(*conditions))
        .order_by(_CASES.c.created_at.desc(), _CASES.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(session.execute(query).all())


def open311_updates(
    session: Session,
    *,
    actions: Iterable[str],
    start: datetime,
    end: datetime,
    offset: int,
    limit: int,
) -> list[Any]:
    """The timeline steps of public reports in a window, oldest first (mySociety's
    servicerequestupdates): the event, and the report's reference and workflow."""
    e = _EVENTS.c
    query = (
        select(
            e.id,
            e.action,
            e.to_state,
            e.created_at,
            _CASES.c.reference,
            _CASES.c.workflow,
            _CASES.c.state,
        )
        .select_from(
            _EVENTS.join(_CASES, _CASES.c.id == e.case_id).join(
                COMPLAINTS, COMPLAINTS.c.id == e.case_id
            )
        )
        .where(
            COMPLAINTS.c.public.is_(True),
            e.action.in_(list(actions)),
            e.created_at >= start,
            e.created_at <= end,
        )
        .order_by(e.created_at, e.id)
        .offset(offset)
        .limit(limit)
    )
    return list(session.execute(query).all())
