"""Queries for applications, documents and events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, insert, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from app.models import Application, Certificate, Document, Event, ReferenceCounter, User


def take_reference_number(session: Session, *, service_code: str, year: int) -> int:
    """The next number for a counter and year, in one statement."""
    statement = _counter_upsert(session, service_code=service_code, year=year)
    return session.execute(statement.returning(ReferenceCounter.value)).scalar_one()


def _counter_upsert(session: Session, *, service_code: str, year: int):
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return (
        dialect.insert(ReferenceCounter)
        .values(service_code=service_code, year=year, value=1)
        .on_conflict_do_update(
            index_elements=["service_code", "year"],
            set_={"value": ReferenceCounter.value + 1},
        )
    )


def assign_reference(
    session: Session, *, application_id: uuid.UUID, service_code: str, year: int, number: int
) -> str:
    """Give a new application its number: ``{SERVICE}-{YYYY}-{NNNNNN}``."""
    reference = f"{service_code}-{year}-{number:06d}"
    session.execute(
        update(Application).where(Application.id == application_id).values(reference=reference)
    )
    return reference


_APPLICATION_INSERT = insert(Application)
_EVENT_INSERT = insert(Event)


def insert_application(
    session: Session, *, application: dict[str, Any], first_event: dict[str, Any]
) -> None:
    """Insert a new application and its first event (Core, values as parameters: hot path)."""
    session.execute(_APPLICATION_INSERT, application)
    session.execute(_EVENT_INSERT, first_event)


def get_application(session: Session, application_id: uuid.UUID) -> Application | None:
    return session.get(Application, application_id)


def documents(
    session: Session, application_id: uuid.UUID, *, current_only: bool = False
) -> list[Document]:
    query = select(Document).where(Document.application_id == application_id)
    if current_only:
        query = query.where(Document.is_current.is_(True))
    return list(
        session.execute(query.order_by(Document.requirement, Document.version)).scalars().all()
    )


def document(
    session: Session, application_id: uuid.UUID, document_id: uuid.UUID
) -> Document | None:
    found = session.get(Document, document_id)
    return found if found is not None and found.application_id == application_id else None


def supersede_documents(session: Session, *, application_id: uuid.UUID, requirement: str) -> int:
    """Mark the current upload for a requirement as superseded; returns the next version number."""
    latest = session.execute(
        select(Document.version)
        .where(Document.application_id == application_id, Document.requirement == requirement)
        .order_by(Document.version.desc())
        .limit(1)
    ).scalar()
    session.execute(
        update(Document)
        .where(Document.application_id == application_id, Document.requirement == requirement)
        .values(is_current=False)
    )
    return (latest or 0) + 1


def events(session: Session, application_id: uuid.UUID) -> list[Event]:
    return list(
        session.execute(
            select(Event).where(Event.application_id == application_id).order_by(Event.seq)
        )
        .scalars()
        .all()
    )


def all_applications(session: Session, *, batch: int = 500):
    """Every application, streamed in id order (for the audit walk)."""
    last: uuid.UUID | None = None
    while True:
        query = select(Application).order_by(Application.id).limit(batch)
        if last is not None:
            query = query.where(Application.id > last)
        rows = session.execute(query).scalars().all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def certificate_number(session: Session, application_id: uuid.UUID) -> str | None:
    return session.execute(
        select(Certificate.number).where(Certificate.application_id == application_id)
    ).scalar_one_or_none()


def person_name(session: Session, user_id: uuid.UUID) -> str:
    return session.execute(select(User.full_name).where(User.id == user_id)).scalar_one()


@dataclass(frozen=True)
class QueueFilter:
    """Which applications a list shows; exactly one of department_id/applicant_id is set."""

    department_id: int | None = None
    applicant_id: uuid.UUID | None = None
    states: tuple[str, ...] = ()
    service_code: str | None = None
    assigned_to: uuid.UUID | None = None
    unassigned: bool = False
    overdue_before: date | None = None  # due strictly before this office day
    overdue_states: tuple[str, ...] = ()
    search: str | None = None
    # Queues show submitted files only; a draft is its applicant's unfinished work.
    hide_drafts: bool = False


def queue_page(
    session: Session, *, where: QueueFilter, limit: int, after: tuple[datetime, uuid.UUID] | None
) -> list[tuple[Application, str]]:
    """One page, newest first, keyset-paginated on (created_at, id)."""
    query = _filtered(
        select(Application, User.full_name).join(User, User.id == Application.applicant_id), where
    )
    if after is not None:
        created_at, last_id = after
        # A row comparison, so the database walks the index from the cursor on.
        query = query.where(tuple_(Application.created_at, Application.id) < (created_at, last_id))
    query = query.order_by(Application.created_at.desc(), Application.id.desc()).limit(limit)
    return [(row[0], row[1]) for row in session.execute(query).all()]


def _filtered(query: Select, where: QueueFilter) -> Select:
    if where.department_id is not None:
        query = query.where(Application.department_id == where.department_id)
    if where.applicant_id is not None:
        query = query.where(Application.applicant_id == where.applicant_id)
    if where.hide_drafts:
        query = query.where(Application.state != "draft")
    if where.states:
        query = query.where(Application.state.in_(where.states))
    if where.service_code:
        query = query.where(Application.service_code == where.service_code)
    if where.assigned_to is not None:
        query = query.where(Application.assigned_to_id == where.assigned_to)
    if where.unassigned:
        query = query.where(Application.assigned_to_id.is_(None))
    if where.overdue_before is not None:
        query = query.where(
            Application.due_at < where.overdue_before, Application.state.in_(where.overdue_states)
        )
    if where.search:
        query = query.where(
            or_(
                Application.reference == where.search.upper(),
                User.full_name.ilike(f"%{_escape_like(where.search)}%", escape="\\"),
            )
        )
    return query


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
