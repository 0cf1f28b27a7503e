"""Queries for applications, documents and events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Integer,
    Select,
    Text,
    and_,
    bindparam,
    cast,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from app.models import (
    Application,
    Certificate,
    Document,
    Event,
    ReferenceCounter,
    Service,
    User,
)


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


def insert_numbered_application(
    session: Session,
    *,
    application: dict[str, Any],
    first_event: dict[str, Any],
    sequence: str,
    prefix: str,
) -> str | None:
    """Insert a new application numbered from ``sequence`` and its first event, in ONE statement.

    PostgreSQL only (data-modifying CTEs): the number, both rows and the returned reference
    are one round trip instead of five. The rows are written only if ``application``'s
    service version is still the current, active one (None otherwise: nothing written, no
    number taken). The reference is ``prefix`` + the number, at least six digits (as
    ``f"{number:06d}"``).
    """
    statement = _numbered_insert(tuple(application), tuple(first_event))
    params = {f"a_{k}": v for k, v in application.items()}
    params.update({f"e_{k}": v for k, v in first_event.items()})
    params.update(sequence=sequence, prefix=prefix)
    return session.connection().execute(statement, params).scalar_one_or_none()


_NUMBERED_INSERTS: dict[tuple[tuple[str, ...], tuple[str, ...]], Any] = {}


def _numbered_insert(app_keys: tuple[str, ...], event_keys: tuple[str, ...]):
    key = (app_keys, event_keys)
    if key not in _NUMBERED_INSERTS:
        apps, events_, services = Application.__table__, Event.__table__, Service.__table__
        service_id = bindparam("a_service_id", type_=apps.c.service_id.type)
        # The number is taken in the same SELECT, so only when the service check passes.
        digits = cast(func.nextval(bindparam("sequence")), Text)
        number = (
            select(digits.label("n"))
            .where(services.c.id == service_id, services.c.is_current, services.c.active)
            .cte("number")
        )
        reference = bindparam("prefix", type_=Text) + func.lpad(
            number.c.n, func.greatest(6, func.length(number.c.n)), literal("0")
        )
        columns = [c for c in app_keys if c != "reference"]
        new_app = (
            insert(apps)
            .from_select(
                [*columns, "reference"],
                select(
                    *[bindparam(f"a_{c}", type_=apps.c[c].type) for c in columns], reference
                ).select_from(number),
            )
            .returning(apps.c.reference)
            .cte("new_application")
        )
        first = (
            insert(events_)
            .from_select(
                list(event_keys),
                select(*[bindparam(f"e_{c}", type_=events_.c[c].type) for c in event_keys]).where(
                    exists(select(new_app.c.reference))
                ),
            )
            .cte("first_event")
        )
        _NUMBERED_INSERTS[key] = select(new_app.c.reference).add_cte(first)
    return _NUMBERED_INSERTS[key]


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


# What a queue line shows (``presenters.application_summary``), as plain columns: loading
# full ORM objects cost a tenth of a queue request's CPU.
_SUMMARY_COLUMNS = (
    Application.id,
    Application.reference,
    Application.service_code,
    Application.state,
    Application.version,
    Application.applicant_id,
    Application.assigned_to_id,
    Application.created_at,
    Application.submitted_at,
    Application.due_at,
    Application.paused_at,
    Application.paused_working_days,
)


def queue_page(
    session: Session, *, where: QueueFilter, limit: int, after: tuple[datetime, uuid.UUID] | None
) -> list[tuple[Any, str]]:
    """One page, newest first, keyset-paginated on (created_at, id); rows carry the columns
    ``presenters.application_summary`` reads."""
    params = _filter_params(where)
    if after is not None:
        params["after_created"], params["after_id"] = after
    params["limit"] = limit
    statement = _queue_statement(tuple(sorted(params)))
    return [(row, row.full_name) for row in session.execute(statement, params).all()]


# One statement per combination of filters, with the values as parameters: building and
# hashing a fresh SELECT on every request cost more CPU than running it.
_QUEUE_STATEMENTS: dict[tuple[str, ...], Select] = {}


def _queue_statement(keys: tuple[str, ...]) -> Select:
    statement = _QUEUE_STATEMENTS.get(keys)
    if statement is None:
        query = select(*_SUMMARY_COLUMNS, User.full_name).join(
            User, User.id == Application.applicant_id
        )
        query = query.where(*[_CONDITIONS[key]() for key in keys if key in _CONDITIONS])
        if "after_created" in keys:
            # A row comparison, so the database walks the index from the cursor on.
            query = query.where(
                tuple_(Application.created_at, Application.id)
                < tuple_(
                    bindparam("after_created", type_=Application.created_at.type),
                    bindparam("after_id", type_=Application.id.type),
                )
            )
        statement = query.order_by(Application.created_at.desc(), Application.id.desc()).limit(
            bindparam("limit", type_=Integer, literal_execute=True)
        )
        _QUEUE_STATEMENTS[keys] = statement
    return statement


def _filter_params(where: QueueFilter) -> dict[str, Any]:
    values = {
        "department_id": where.department_id,
        "applicant_id": where.applicant_id,
        "hide_drafts": where.hide_drafts or None,
        "states": list(where.states) or None,
        "service_code": where.service_code or None,
        "assigned_to": where.assigned_to,
        "unassigned": where.unassigned or None,
        "overdue_before": where.overdue_before,
        "search": where.search or None,
    }
    params = {key: value for key, value in values.items() if value is not None}
    if "overdue_before" in params:
        params["overdue_states"] = list(where.overdue_states)
    if "search" in params:
        params["search_reference"] = where.search.upper()
        params["search"] = f"%{_escape_like(where.search)}%"
    return params


_CONDITIONS = {
    "department_id": lambda: Application.department_id == bindparam("department_id"),
    "applicant_id": lambda: Application.applicant_id == bindparam("applicant_id"),
    # Inline, not a parameter: it must match the partial index's predicate in every plan.
    "hide_drafts": lambda: Application.state != literal_column("'draft'"),
    "states": lambda: Application.state.in_(bindparam("states", expanding=True)),
    "service_code": lambda: Application.service_code == bindparam("service_code"),
    "assigned_to": lambda: Application.assigned_to_id == bindparam("assigned_to"),
    "unassigned": lambda: Application.assigned_to_id.is_(None),
    "overdue_before": lambda: and_(
        Application.due_at < bindparam("overdue_before"),
        Application.state.in_(bindparam("overdue_states", expanding=True)),
    ),
    "search": lambda: or_(
        Application.reference == bindparam("search_reference"),
        User.full_name.ilike(bindparam("search"), escape="\\"),
    ),
}


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
