"""Queries of the personal data access records: a resident's own log, a breach's reach."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Table, func, select

from app.db import Session, table_of
from app.models import Case, PersonalDataAccess, User

_ACCESSES: Table = table_of(PersonalDataAccess)
_CASES: Table = table_of(Case)
_USERS: Table = table_of(User)


def accesses_of(
    session: Session, subject_id: uuid.UUID, *, before: int | None, limit: int
) -> list[Any]:
    """The reads of one resident's data, newest first, with the case's reference."""
    a = _ACCESSES.c
    query = (
        select(_ACCESSES, _CASES.c.reference)
        .select_from(_ACCESSES.outerjoin(_CASES, _CASES.c.id == a.case_id))
        .where(a.subject_id == subject_id)
        .order_by(a.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(a.id < before)
    return list(session.execute(query))


def touched(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    accessor_types: tuple[str, ...] | None,
    accessor_id: str | None,
) -> list[Any]:
    """Per resident whose data was read in [start, end) (by the accessor, when named): their
    contact details, the reads' count, first and last moment, and what was read."""
    a, u = _ACCESSES.c, _USERS.c
    query = (
        select(
            a.subject_id,
            u.full_name,
            u.email,
            u.phone,
            func.count().label("reads"),
            func.min(a.accessed_at).label("first_read"),
            func.max(a.accessed_at).label("last_read"),
        )
        .select_from(_ACCESSES.outerjoin(_USERS, u.id == a.subject_id))
        .where(a.accessed_at >= start, a.accessed_at < end, a.what != "export")
        .group_by(a.subject_id, u.full_name, u.email, u.phone)
        .order_by(func.min(a.accessed_at), a.subject_id)
    )
    if accessor_types is not None:
        query = query.where(a.accessor_type.in_(accessor_types))
    if accessor_id is not None:
        query = query.where(a.accessor_id == accessor_id)
    return list(session.execute(query))


def what_was_read(
    session: Session,
    *,
    start: datetime,
    end: datetime,
    accessor_types: tuple[str, ...] | None,
    accessor_id: str | None,
) -> dict[uuid.UUID, set[str]]:
    """Per resident, the kinds of data read in the window ("application", "document:ktp")."""
    a = _ACCESSES.c
    query = select(a.subject_id, a.what, a.fields).where(
        a.accessed_at >= start, a.accessed_at < end, a.what != "export"
    )
    if accessor_types is not None:
        query = query.where(a.accessor_type.in_(accessor_types))
    if accessor_id is not None:
        query = query.where(a.accessor_id == accessor_id)
    read: dict[uuid.UUID, set[str]] = {}
    for subject_id, what, fields in session.execute(query):
        read.setdefault(subject_id, set()).update(
            [f"{what}:{name}" for name in fields] if what == "document" else [what]
        )
    return read


def staff_id_by_email(session: Session, email: str) -> uuid.UUID | None:
    u = _USERS.c
    query = select(u.id).where(func.lower(u.email) == email.lower(), u.role != "citizen")
    return session.execute(query).scalar_one_or_none()


def insert_access(session: Session, row: PersonalDataAccess) -> None:
    session.add(row)
