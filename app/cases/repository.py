"""Queries of the case kernel: cases, their events and documents, numbering, queues.

Hot paths use Core statements built once (a case and its first event are plain inserts, a
transition is one guarded UPDATE plus one INSERT): the ORM's per-statement work cost more CPU
than the statements themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Engine,
    Integer,
    Select,
    Table,
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
    text,
    tuple_,
    update,
)
from sqlalchemy import case as case_when
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.elements import ColumnElement

from app.db import Session, batch_cached, insert_later, upsert
from app.models import Case, Department, Document, Event, ReferenceCounter, User
from app.workflow.definitions import PRIVATE_STATES_SQL

_CASES: Table = Case.__table__  # type: ignore[attr-defined]
_EVENTS: Table = Event.__table__  # type: ignore[attr-defined]
_DOCUMENTS: Table = Document.__table__  # type: ignore[attr-defined]
_USERS: Table = User.__table__  # type: ignore[attr-defined]
_COUNTERS: Table = ReferenceCounter.__table__  # type: ignore[attr-defined]


def has_sequences(session: Session) -> bool:
    """Whether the database numbers with sequences (PostgreSQL) rather than counter rows."""
    return session.get_bind().dialect.name == "postgresql"


# --- cases and their timeline -------------------------------------------------------------------


def get_case(session: Session, case_id: uuid.UUID) -> Case | None:
    return session.get(Case, case_id)


def move_head(
    session: Session,
    *,
    case: Case,
    values: dict[str, Any],
    expected_version: int | None,
    event: dict[str, Any],
) -> bool:
    """Apply ``values`` to the case if its chain head (and version) are still the ones loaded,
    and insert ``event``; False (nothing written) if another writer moved it first."""
    conditions = [_CASES.c.id == case.id, _CASES.c.event_seq == case.event_seq]
    if expected_version is not None:
        conditions.append(_CASES.c.version == expected_version)
    # Pending ORM changes (a document row added by the caller) go first.
    session.flush()
    connection = session.connection()
    moved = connection.execute(update(_CASES).where(*conditions).values(**values))
    if moved.rowcount != 1:
        return False
    if not insert_later(session, _EVENTS, event):
        connection.execute(insert(_EVENTS), event)
    for name, value in values.items():
        # Keep the loaded object in step without marking it dirty (no second UPDATE at flush).
        set_committed_value(case, name, value)
    return True


def events(session: Session, case_id: uuid.UUID) -> list[Event]:
    query = select(Event).where(_EVENTS.c.case_id == case_id).order_by(_EVENTS.c.seq)
    return list(session.execute(query).scalars().all())


def all_cases(session: Session, *, batch: int = 500) -> Iterator[Case]:
    """Every case, streamed in id order (for the audit walk)."""
    last: uuid.UUID | None = None
    while True:
        query = select(Case).order_by(_CASES.c.id).limit(batch)
        if last is not None:
            query = query.where(_CASES.c.id > last)
        rows = session.execute(query).scalars().all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id


# --- deadlines ----------------------------------------------------------------------------------


def claim_due_cases(session: Session, *, now: datetime, batch: int) -> list[Case]:
    """Up to ``batch`` cases whose deadline passed, first due first, locked for this
    transaction; cases another transaction holds are skipped (PostgreSQL), so concurrent sweeps
    share the work. On SQLite the write transaction (``BEGIN IMMEDIATE``) already keeps other
    writers out. Found through ``ix_cases_deadline``: only due rows are read."""
    return list(session.execute(due_cases_statement(now=now, batch=batch)).scalars().all())


def due_cases_statement(*, now: datetime, batch: int) -> Select:
    """The sweep's claim (also what the bench EXPLAINs)."""
    return (
        select(Case)
        .where(_CASES.c.deadline_at.is_not(None), _CASES.c.deadline_at <= now)
        .order_by(_CASES.c.deadline_at)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )


def set_deadline(session: Session, *, case_id: uuid.UUID, deadline_at: datetime | None) -> None:
    """Store a case's next deadline instant without an event (a recomputation, no action)."""
    session.flush()
    session.connection().execute(
        update(_CASES).where(_CASES.c.id == case_id).values(deadline_at=deadline_at)
    )


def postpone_deadline(
    session: Session, *, case_id: uuid.UUID, until: datetime, now: datetime
) -> None:
    """Try a case's failed deadline action again at ``until``, if it is still due."""
    session.connection().execute(
        update(_CASES)
        .where(_CASES.c.id == case_id, _CASES.c.deadline_at <= now)
        .values(deadline_at=until)
    )


def deadline_event_counts(
    session: Session, *, events: Iterable[str], start: datetime, end: datetime
) -> list[tuple[int, str, str, int]]:
    """(department id, subject code, event action, count) of the given events in [start, end)."""
    c, e = _CASES.c, _EVENTS.c
    query = (
        select(c.department_id, c.subject_code, e.action, func.count())
        .select_from(_EVENTS.join(_CASES, _CASES.c.id == e.case_id))
        .where(e.action.in_(sorted(events)), e.created_at >= start, e.created_at < end)
        .group_by(c.department_id, c.subject_code, e.action)
        .order_by(c.department_id, c.subject_code, e.action)
    )
    return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def department_officers(session: Session, department_id: int) -> list[User]:
    """The active officers of a department (whom a deadline warning or escalation tells)."""
    query = select(User).where(
        _USERS.c.department_id == department_id,
        _USERS.c.role == "officer",
        _USERS.c.is_active.is_(True),
    )
    return batch_cached(
        session,
        ("department_officers", department_id),
        lambda: list(session.execute(query).scalars().all()),
    )


def get_user(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def person_name(session: Session, user_id: uuid.UUID) -> str:
    return session.execute(select(_USERS.c.full_name).where(_USERS.c.id == user_id)).scalar_one()


def names(session: Session, user_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """Full names of the given accounts."""
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return {}
    rows = session.execute(select(_USERS.c.id, _USERS.c.full_name).where(_USERS.c.id.in_(wanted)))
    return {user_id: name for user_id, name in rows}


# --- creating a case ----------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnRow:
    """The case type's own row, written with the case (e.g. an application's service version).

    ``only_if`` (PostgreSQL) is a condition, on bind parameters named ``o_<column>``, that must
    hold for anything to be written (the service version is still current and active).
    """

    table: Table
    values: dict[str, Any]
    only_if: ColumnElement[bool] | None = None


def still_holds(session: Session, own: OwnRow) -> bool:
    """Whether ``own.only_if`` holds now (what the one-statement insert checks in itself)."""
    if own.only_if is None:
        return True
    params = {f"o_{k}": v for k, v in own.values.items()}
    return bool(session.execute(select(own.only_if), params).scalar())


def insert_case(
    session: Session, *, case: dict[str, Any], own: OwnRow, first_event: dict[str, Any]
) -> None:
    """Insert a new case, its type's row and its first event (Core, values as parameters)."""
    session.execute(insert(_CASES), case)
    session.execute(insert(own.table), own.values)
    session.execute(insert(_EVENTS), first_event)


def insert_numbered_case(
    session: Session,
    *,
    case: dict[str, Any],
    own: OwnRow,
    first_event: dict[str, Any],
    sequence: str,
    prefix: str,
    digits: int,
) -> str | None:
    """Insert a new case numbered from ``sequence``, its type's row and its first event, in ONE
    statement; returns the reference, or None if ``own.only_if`` failed (nothing written).

    PostgreSQL only (data-modifying CTEs): number, rows and reference are one round trip. The
    reference is ``prefix`` + the number, at least ``digits`` digits (``f"{number:0{digits}d}"``).
    """
    statement = _numbered_insert(tuple(case), own, tuple(first_event))
    params = {f"c_{k}": v for k, v in case.items()}
    params.update({f"o_{k}": v for k, v in own.values.items()})
    params.update({f"e_{k}": v for k, v in first_event.items()})
    params.update(sequence=sequence, prefix=prefix, digits=digits)
    return session.connection().execute(statement, params).scalar_one_or_none()


_NUMBERED_INSERTS: dict[tuple[Any, ...], Any] = {}


def _numbered_insert(case_keys: tuple[str, ...], own: OwnRow, event_keys: tuple[str, ...]):
    key = (case_keys, own.table.name, tuple(own.values), id(own.only_if), event_keys)
    if key not in _NUMBERED_INSERTS:
        _NUMBERED_INSERTS[key] = _build_numbered_insert(case_keys, own, event_keys)
    return _NUMBERED_INSERTS[key]


def _values_from(table: Table, prefix: str, keys: Iterable[str]) -> list[Any]:
    return [bindparam(f"{prefix}{c}", type_=table.c[c].type) for c in keys]


def _build_numbered_insert(case_keys: tuple[str, ...], own: OwnRow, event_keys: tuple[str, ...]):
    # The number is taken in the same SELECT, so only when the type's condition holds.
    digits = cast(func.nextval(bindparam("sequence")), Text)
    number = select(digits.label("n"))
    if own.only_if is not None:
        number = number.where(own.only_if)
    number_cte = number.cte("number")
    width = func.greatest(bindparam("digits", type_=Integer), func.length(number_cte.c.n))
    reference = bindparam("prefix", type_=Text) + func.lpad(number_cte.c.n, width, literal("0"))
    columns = [c for c in case_keys if c != "reference"]
    new_case = (
        insert(_CASES)
        .from_select(
            [*columns, "reference"],
            select(*_values_from(_CASES, "c_", columns), reference).select_from(number_cte),
        )
        .returning(_CASES.c.reference)
        .cte("new_case")
    )
    written = exists(select(new_case.c.reference))
    own_row = (
        insert(own.table)
        .from_select(
            list(own.values), select(*_values_from(own.table, "o_", own.values)).where(written)
        )
        .cte("own_row")
    )
    first = (
        insert(_EVENTS)
        .from_select(
            list(event_keys), select(*_values_from(_EVENTS, "e_", event_keys)).where(written)
        )
        .cte("first_event")
    )
    return select(new_case.c.reference).add_cte(own_row).add_cte(first)


def assign_reference(session: Session, *, case_id: uuid.UUID, reference: str) -> None:
    session.execute(update(_CASES).where(_CASES.c.id == case_id).values(reference=reference))


# --- reference numbers --------------------------------------------------------------------------


def take_counter_number(session: Session, *, series: str, year: int) -> int:
    """The next number of a counter row (series and year), in one statement."""
    return upsert(
        session,
        _COUNTERS,
        {"service_code": series, "year": year, "value": 1},
        key=("service_code", "year"),
        update={"value": _COUNTERS.c.value + 1},
        returning=[_COUNTERS.c.value],
    ).scalar_one()


def counter_value(session: Session, *, series: str, year: int) -> int:
    value = session.execute(
        select(_COUNTERS.c.value).where(
            _COUNTERS.c.service_code == series, _COUNTERS.c.year == year
        )
    ).scalar()
    return value or 0


def next_sequence_value(session: Session, name: str) -> int:
    return session.execute(text("SELECT nextval(:name)"), {"name": name}).scalar_one()


def create_sequence(ddl_engine: Engine, *, name: str, start: int) -> None:
    """CREATE SEQUENCE outside any request's transaction (which may still roll back)."""
    with ddl_engine.connect() as connection:
        try:
            connection.execute(text(f"CREATE SEQUENCE IF NOT EXISTS {name} START WITH {start}"))
        except DBAPIError:  # another process created it at the same moment
            connection.rollback()


# --- documents ----------------------------------------------------------------------------------


def documents(
    session: Session, case_id: uuid.UUID, *, current_only: bool = False
) -> list[Document]:
    d = _DOCUMENTS.c
    query = select(Document).where(d.case_id == case_id)
    if current_only:
        query = query.where(d.is_current.is_(True))
    return list(session.execute(query.order_by(d.requirement, d.version)).scalars().all())


def document(session: Session, case_id: uuid.UUID, document_id: uuid.UUID) -> Document | None:
    found = session.get(Document, document_id)
    return found if found is not None and found.case_id == case_id else None


def supersede_documents(session: Session, *, case_id: uuid.UUID, requirement: str) -> int:
    """Mark the current upload for a requirement as superseded; returns the next version number."""
    d = _DOCUMENTS.c
    latest = session.execute(
        select(d.version)
        .where(d.case_id == case_id, d.requirement == requirement)
        .order_by(d.version.desc())
        .limit(1)
    ).scalar()
    session.execute(
        update(_DOCUMENTS)
        .where(d.case_id == case_id, d.requirement == requirement)
        .values(is_current=False)
    )
    return (latest or 0) + 1


def document_count(session: Session, *, case_id: uuid.UUID, requirement: str) -> int:
    d = _DOCUMENTS.c
    return session.execute(
        select(func.count()).where(d.case_id == case_id, d.requirement == requirement)
    ).scalar_one()


def add_document(session: Session, document: Document) -> None:
    session.add(document)
    session.flush()


# --- queues -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilter:
    """Which cases of one kind a list shows; one of department_id/owner_id is set (or neither,
    for a system that reads every submitted case)."""

    kind: str
    department_id: int | None = None
    owner_id: uuid.UUID | None = None
    states: tuple[str, ...] = ()
    subject_code: str | None = None
    assigned_to: uuid.UUID | None = None
    unassigned: bool = False
    overdue_before: date | None = None  # due strictly before this office day
    overdue_states: tuple[str, ...] = ()  # the states whose clock runs
    escalated: bool = False  # escalated at the deadline and still with the authority
    search: str | None = None
    # Queues show submitted cases only; a draft is its owner's unfinished work.
    hide_private: bool = False
    # A case type's own conditions (``register_condition``) with their parameter values.
    extra: tuple[tuple[str, Any], ...] = ()


# What a queue line shows, as plain columns: loading full ORM objects cost a tenth of a queue
# request's CPU.
_SUMMARY_COLUMNS = (
    _CASES.c.id,
    _CASES.c.reference,
    _CASES.c.subject_code,
    _CASES.c.workflow,
    _CASES.c.state,
    _CASES.c.version,
    _CASES.c.owner_id,
    _CASES.c.assigned_to_id,
    _CASES.c.created_at,
    _CASES.c.updated_at,
    _CASES.c.submitted_at,
    _CASES.c.due_at,
    _CASES.c.paused_at,
    _CASES.c.paused_working_days,
    _CASES.c.extended_days,
    _CASES.c.sla_warned_at,
    _CASES.c.escalated_at,
    _CASES.c.deadline_at,
)


# Where a case whose clock does not run (paused, decided, never started) sorts among due days.
NOT_DUE = date(9999, 12, 31)


def queue_page(
    session: Session,
    *,
    where: QueueFilter,
    limit: int,
    after: tuple[Any, ...] | None,
    due_first: bool = False,
) -> list[Any]:
    """One page, keyset-paginated: newest first on (created_at, id), or, ``due_first``, on
    (due key, created_at, id) ascending, where the due key is the due day of a case whose clock
    runs (overdue ones first) and ``NOT_DUE`` for the rest (then oldest first). Rows carry the
    summary columns, the owner's ``full_name`` and, due first, the ``due_key``."""
    params = _filter_params(where)
    if after is not None and due_first:
        params["after_due"], params["after_created"], params["after_id"] = after
    elif after is not None:
        params["after_created"], params["after_id"] = after
    params["limit"] = limit
    order = where.overdue_states if due_first else None
    statement = _queue_statement(tuple(sorted(params)), order)
    return list(session.execute(statement, params).all())


# One statement per combination of filters, with the values as parameters: building and
# hashing a fresh SELECT on every request cost more CPU than running it.
_QUEUE_STATEMENTS: dict[tuple[tuple[str, ...], tuple[str, ...] | None], Select] = {}


def _due_key(running: tuple[str, ...]) -> ColumnElement[Any]:
    c = _CASES.c
    return case_when(
        (and_(c.due_at.is_not(None), c.state.in_(list(running))), c.due_at),
        else_=literal(NOT_DUE, type_=c.due_at.type),
    )


def _queue_statement(keys: tuple[str, ...], due_order: tuple[str, ...] | None) -> Select:
    statement = _QUEUE_STATEMENTS.get((keys, due_order))
    if statement is None:
        statement = _build_queue_statement(keys, due_order)
        _QUEUE_STATEMENTS[keys, due_order] = statement
    return statement


def _build_queue_statement(keys: tuple[str, ...], due_order: tuple[str, ...] | None) -> Select:
    c = _CASES.c
    due = _due_key(due_order).label("due_key") if due_order is not None else None
    columns = [*_SUMMARY_COLUMNS, _USERS.c.full_name] + ([due] if due is not None else [])
    query = select(*columns).select_from(_CASES.outerjoin(_USERS, _USERS.c.id == c.owner_id))
    query = query.where(*[_CONDITIONS[key]() for key in keys if key in _CONDITIONS])
    created = bindparam("after_created", type_=c.created_at.type)
    after_id = bindparam("after_id", type_=c.id.type)
    if due_order is not None:
        assert due is not None
        key = _due_key(due_order)
        if "after_created" in keys:
            after_due = bindparam("after_due", type_=c.due_at.type)
            query = query.where(
                tuple_(key, c.created_at, c.id) > tuple_(after_due, created, after_id)
            )
        query = query.order_by(key, c.created_at, c.id)
    else:
        if "after_created" in keys:
            # A row comparison, so the database walks the index from the cursor on.
            query = query.where(tuple_(c.created_at, c.id) < tuple_(created, after_id))
        query = query.order_by(c.created_at.desc(), c.id.desc())
    return query.limit(bindparam("limit", type_=Integer, literal_execute=True))


def _filter_params(where: QueueFilter) -> dict[str, Any]:
    values = {
        "kind": where.kind,
        "department_id": where.department_id,
        "owner_id": where.owner_id,
        "hide_private": where.hide_private or None,
        "states": list(where.states) or None,
        "subject_code": where.subject_code or None,
        "assigned_to": where.assigned_to,
        "unassigned": where.unassigned or None,
        "overdue_before": where.overdue_before,
        "escalated": where.escalated or None,
        "search": where.search or None,
    }
    params = {key: value for key, value in values.items() if value is not None}
    if "overdue_before" in params or "escalated" in params:
        params["overdue_states"] = list(where.overdue_states)
    if where.search:
        params["search_reference"] = where.search.upper()
        params["search"] = f"%{_escape_like(where.search)}%"
    for name, value in where.extra:
        if name not in _CONDITIONS or name in _KERNEL_CONDITIONS:
            raise LookupError(f"queue condition {name!r} is not registered")
        params[name] = value
    return params


def _private_hidden() -> ColumnElement[bool]:
    # Inline, not a parameter: it must match the partial index's predicate in every plan.
    return literal_column(PRIVATE_STATES_SQL)  # type: ignore[return-value]


_CONDITIONS: dict[str, Callable[[], ColumnElement[bool]]] = {
    "kind": lambda: _CASES.c.kind == bindparam("kind"),
    "department_id": lambda: _CASES.c.department_id == bindparam("department_id"),
    "owner_id": lambda: _CASES.c.owner_id == bindparam("owner_id"),
    "hide_private": _private_hidden,
    "states": lambda: _CASES.c.state.in_(bindparam("states", expanding=True)),
    "subject_code": lambda: _CASES.c.subject_code == bindparam("subject_code"),
    "assigned_to": lambda: _CASES.c.assigned_to_id == bindparam("assigned_to"),
    "unassigned": lambda: _CASES.c.assigned_to_id.is_(None),
    "overdue_before": lambda: and_(
        _CASES.c.due_at < bindparam("overdue_before"),
        _CASES.c.state.in_(bindparam("overdue_states", expanding=True)),
    ),
    "escalated": lambda: and_(
        _CASES.c.escalated_at.is_not(None),
        _CASES.c.state.in_(bindparam("overdue_states", expanding=True)),
    ),
    "search": lambda: or_(
        _CASES.c.reference == bindparam("search_reference"),
        _USERS.c.full_name.ilike(bindparam("search"), escape="\\"),
    ),
}


_KERNEL_CONDITIONS = frozenset(_CONDITIONS)


def register_condition(name: str, condition: Callable[[], ColumnElement[bool]]) -> None:
    """Let a case type filter its queue on its own table: ``condition()`` builds the clause on
    ``bindparam(name)`` (e.g. the cases whose complaint lies in an area). Registered once per
    process, like the kind itself; a name the kernel uses is refused."""
    if name in _KERNEL_CONDITIONS or name in ("after_due", "after_created", "after_id", "limit"):
        raise ValueError(f"queue condition {name!r} is the kernel's own")
    _CONDITIONS[name] = condition


def escape_like(text: str) -> str:
    """``text`` as a literal inside a LIKE pattern whose escape character is a backslash."""
    return _escape_like(text)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def state_counts(session: Session, *, kind: str, department_id: int) -> dict[str, int]:
    """Cases of a department per state, private ones (drafts) left out."""
    c = _CASES.c
    rows = session.execute(
        select(c.state, func.count())
        .where(c.kind == kind, c.department_id == department_id, _private_hidden())
        .group_by(c.state)
    )
    return {state: count for state, count in rows}


def overdue_count(
    session: Session, *, kind: str, department_id: int, running: Iterable[str], today: date
) -> int:
    """Cases of a department in a running-clock state whose due working day has passed."""
    c = _CASES.c
    return session.execute(
        select(func.count()).where(
            c.kind == kind,
            c.department_id == department_id,
            c.state.in_(sorted(running)),
            c.due_at < today,
        )
    ).scalar_one()


def overdue_by_department(
    session: Session, *, running: Mapping[str, Iterable[str]], today: date
) -> dict[str, int]:
    """Cases whose due working day has passed in a running-clock state of their workflow
    (``running``: workflow name to those states), per department code, 0 where none."""
    c = _CASES.c
    departments: Table = Department.__table__  # type: ignore[attr-defined]
    clock_runs = or_(
        *(and_(c.workflow == name, c.state.in_(sorted(states))) for name, states in running.items())
    )
    query = (
        select(departments.c.code, func.count(c.id))
        .select_from(
            departments.outerjoin(
                _CASES, and_(c.department_id == departments.c.id, c.due_at < today, clock_runs)
            )
        )
        .group_by(departments.c.code)
    )
    return {code: count for code, count in session.execute(query)}
