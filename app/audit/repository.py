"""Queries of the audit log: sequencing events into it, checkpoints, and the verifying walks."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, exists, func, insert, not_, select, update

from app.db import Session, table_of, upsert
from app.models import (
    AuditCheckpoint,
    AuditLeaf,
    AuditState,
    Case,
    Certificate,
    Event,
    PersonalDataAccess,
)

_LOG: Table = table_of(AuditLeaf)
_CHECKPOINTS: Table = table_of(AuditCheckpoint)
_STATE: Table = table_of(AuditState)
_EVENTS: Table = table_of(Event)
_CASES: Table = table_of(Case)
_CERTIFICATES: Table = table_of(Certificate)
_ACCESSES: Table = table_of(PersonalDataAccess)
STATE_NAME = "log"
ACCESS_STATE_NAME = "access"
STREAM_BATCH = 10_000


def lock_state(session: Session) -> int:
    """Take the sequencer's lock (its state row, made if missing) until commit; returns the
    id up to which every event is logged."""
    upsert(session, _STATE, {"name": STATE_NAME, "logged_through": 0}, key=("name",))
    return session.execute(
        select(_STATE.c.logged_through).where(_STATE.c.name == STATE_NAME).with_for_update()
    ).scalar_one()


def save_logged_through(session: Session, event_id: int, *, name: str = STATE_NAME) -> None:
    session.execute(update(_STATE).where(_STATE.c.name == name).values(logged_through=event_id))


def accesses_logged_through(session: Session) -> int:
    """The id up to which every personal data access is logged (under the sequencer's lock)."""
    upsert(session, _STATE, {"name": ACCESS_STATE_NAME, "logged_through": 0}, key=("name",))
    return session.execute(
        select(_STATE.c.logged_through).where(_STATE.c.name == ACCESS_STATE_NAME)
    ).scalar_one()


def unlogged_accesses(session: Session, *, after_id: int, limit: int) -> list[Any]:
    """(id, hash, accessed_at) of personal data accesses past ``after_id`` not in the log."""
    a = _ACCESSES.c
    logged = exists().where(_LOG.c.access_id == a.id)
    query = (
        select(a.id, a.hash, a.accessed_at.label("created_at"))
        .where(a.id > after_id, not_(logged))
        .order_by(a.id)
        .limit(limit)
    )
    return list(session.execute(query))


def log_size(session: Session) -> int:
    return session.execute(select(func.count()).select_from(_LOG)).scalar_one()


def unlogged_events(session: Session, *, after_id: int, limit: int) -> list[Any]:
    """(id, case_id, hash, created_at) of events past ``after_id`` not in the log yet, by id."""
    e = _EVENTS.c
    logged = exists().where(_LOG.c.event_id == e.id)
    query = (
        select(e.id, e.case_id, e.hash, e.created_at)
        .where(e.id > after_id, not_(logged))
        .order_by(e.id)
        .limit(limit)
    )
    return list(session.execute(query))


def append_leaves(session: Session, rows: list[dict[str, Any]]) -> None:
    session.execute(insert(_LOG), rows)


def leaves_between(session: Session, start: int, end: int) -> list[str]:
    """Leaf hashes of positions ``start`` (inclusive) to ``end`` (exclusive), in order."""
    c = _LOG.c
    query = select(c.leaf_hash).where(c.position >= start, c.position < end).order_by(c.position)
    return list(session.execute(query).scalars())


def latest_checkpoint(session: Session) -> AuditCheckpoint | None:
    query = select(AuditCheckpoint).order_by(_CHECKPOINTS.c.tree_size.desc()).limit(1)
    return session.execute(query).scalar_one_or_none()


def add_checkpoint(session: Session, checkpoint: AuditCheckpoint) -> None:
    session.add(checkpoint)
    session.flush()


def checkpoints(session: Session) -> list[AuditCheckpoint]:
    query = select(AuditCheckpoint).order_by(_CHECKPOINTS.c.tree_size)
    return list(session.execute(query).scalars())


# --- the verifying walks (streamed: a million events must not be held at once) -----------------


def consistent_snapshot(session: Session) -> None:
    """Every following read of this transaction sees the same moment (PostgreSQL: REPEATABLE
    READ; SQLite's transactions already do)."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def _streamed(session: Session, query) -> Iterator[Any]:
    result = session.execute(query.execution_options(yield_per=STREAM_BATCH))
    yield from result


def events_by_case(session: Session) -> Iterator[Any]:
    """Every event with what its hash covers, case after case, in sequence."""
    e = _EVENTS.c
    query = select(
        e.id,
        e.case_id,
        e.seq,
        e.action,
        e.from_state,
        e.to_state,
        e.actor_type,
        e.actor_id,
        e.comment,
        e.details,
        e.created_at,
        e.prev_hash,
        e.hash,
    ).order_by(e.case_id, e.seq)
    return _streamed(session, query)


def cases_by_id(session: Session) -> Iterator[Any]:
    c = _CASES.c
    query = select(
        c.id, c.kind, c.reference, c.workflow, c.state, c.event_seq, c.event_head
    ).order_by(c.id)
    return _streamed(session, query)


def certificates_by_case(session: Session) -> dict[uuid.UUID, str]:
    """The status of each case's certificate."""
    c = _CERTIFICATES.c
    return {row[0]: row[1] for row in session.execute(select(c.application_id, c.status))}


def log_with_events(session: Session) -> Iterator[Any]:
    """Every leaf in position order, with its event's current chain hash (None when the event
    is gone), or for a leaf of a personal data access, that record's content as it is now."""
    log, e, a = _LOG.c, _EVENTS.c, _ACCESSES.c
    query = (
        select(
            log.position,
            log.event_id,
            log.case_id,
            log.access_id,
            log.leaf_hash,
            e.hash.label("event_hash"),
            *[column.label(f"a_{column.name}") for column in _ACCESSES.columns],
        )
        .select_from(
            _LOG.outerjoin(_EVENTS, e.id == log.event_id).outerjoin(
                _ACCESSES, a.id == log.access_id
            )
        )
        .order_by(log.position)
    )
    return _streamed(session, query)


def accesses_never_logged(session: Session, *, created_before: datetime) -> list[Any]:
    """Ids of personal data accesses old enough to have been logged that are not in the log."""
    a = _ACCESSES.c
    logged = exists().where(_LOG.c.access_id == a.id)
    query = select(a.id).where(and_(a.accessed_at < created_before, not_(logged)))
    return list(session.execute(query.order_by(a.id).limit(1000)).scalars())


def events_never_logged(session: Session, *, created_before: datetime) -> list[Any]:
    """(id, case_id, seq) of events old enough to have been logged that are not in the log."""
    e = _EVENTS.c
    logged = exists().where(_LOG.c.event_id == e.id)
    query = select(e.id, e.case_id, e.seq).where(and_(e.created_at < created_before, not_(logged)))
    return list(session.execute(query.order_by(e.id).limit(1000)))
