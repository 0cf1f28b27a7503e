"""The per-application event hash chain: ``hash = sha256(prev_hash || canonical JSON of event)``.

Appending moves the chain head stored on the application row in the same UPDATE that checks
it (``event_seq``), so two writers can never both append after the same event: the loser's
UPDATE matches no row and it answers 409. The head on the application row also makes a deleted
last event detectable.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from app.errors import StaleVersion
from app.models import Application, Event
from app.models.base import utcnow
from app.notifications.outbox import enqueue_for_event

GENESIS = "0" * 64


@dataclass(frozen=True)
class EventDraft:
    """What happened; the chain fields (seq, hashes, time) are added when it is appended."""

    action: str
    actor_type: str
    actor_id: str | None
    from_state: str | None = None
    to_state: str | None = None
    comment: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


def _event_fields(*, application_id: uuid.UUID, seq: int, draft: EventDraft) -> dict[str, Any]:
    """What an event says, shared by its stored row and its hashed canonical form."""
    return {
        "application_id": application_id,
        "seq": seq,
        "action": draft.action,
        "from_state": draft.from_state,
        "to_state": draft.to_state,
        "actor_type": draft.actor_type,
        "actor_id": draft.actor_id,
        "comment": draft.comment,
        "details": draft.details,
    }


def canonical_event(
    *, application_id: uuid.UUID, seq: int, draft: EventDraft, created_at: datetime
) -> bytes:
    """The exact bytes hashed for one event (sorted keys, no spaces, UTF-8, UTC microseconds)."""
    payload = {
        **_event_fields(application_id=application_id, seq=seq, draft=draft),
        "application_id": str(application_id),
        "created_at": created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: str, canonical: bytes) -> str:
    return hashlib.sha256(prev_hash.encode() + canonical).hexdigest()


def event_row(
    *, application_id: uuid.UUID, seq: int, prev_hash: str, draft: EventDraft, created_at: datetime
) -> dict[str, Any]:
    """Column values of the event that follows ``prev_hash`` as number ``seq``."""
    digest = chain_hash(
        prev_hash,
        canonical_event(application_id=application_id, seq=seq, draft=draft, created_at=created_at),
    )
    return {
        **_event_fields(application_id=application_id, seq=seq, draft=draft),
        "created_at": created_at,
        "prev_hash": prev_hash,
        "hash": digest,
    }


_UPDATE = update(Application.__table__)
_EVENT_INSERT = insert(Event.__table__)


def append(
    session: Session,
    *,
    application: Application,
    draft: EventDraft,
    changes: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> None:
    """Apply ``changes`` to the application and append ``draft`` to its chain, atomically.

    With ``expected_version`` the write is also an optimistic-lock check and bumps the version.
    """
    now = utcnow()
    seq = application.event_seq + 1
    row = event_row(
        application_id=application.id,
        seq=seq,
        prev_hash=application.event_head,
        draft=draft,
        created_at=now,
    )
    values = {**(changes or {}), "event_seq": seq, "event_head": row["hash"], "updated_at": now}
    conditions = [Application.id == application.id, Application.event_seq == application.event_seq]
    if expected_version is not None:
        conditions.append(Application.version == expected_version)
        values["version"] = expected_version + 1
    # Core on the session's connection: the ORM's bulk UPDATE/INSERT paths cost more CPU than
    # the statements themselves, and the loaded object is kept in step below anyway.
    session.flush()
    connection = session.connection()
    moved = connection.execute(_UPDATE.where(*conditions).values(**values))
    if moved.rowcount != 1:
        raise StaleVersion()
    connection.execute(_EVENT_INSERT, row)
    for name, value in values.items():
        # Keep the loaded object in step without marking it dirty (no second UPDATE at flush).
        set_committed_value(application, name, value)
    # After the object is in step: webhook payloads report the state this event leads to.
    enqueue_for_event(session, application=application, event=row)


@dataclass(frozen=True)
class ChainProblem:
    application_id: uuid.UUID
    reference: str
    seq: int
    problem: str


def verify_chain(session: Session, application: Application) -> list[ChainProblem]:
    """Re-walk one application's chain: edited rows by number, deleted rows as gaps."""
    events = (
        session.execute(
            select(Event).where(Event.application_id == application.id).order_by(Event.seq)
        )
        .scalars()
        .all()
    )
    problems: list[ChainProblem] = []
    prev_hash, expected_seq = GENESIS, 1

    def report(seq: int, text: str) -> None:
        problems.append(ChainProblem(application.id, application.reference, seq, text))

    for event in events:
        if event.seq != expected_seq:
            report(expected_seq, f"missing events {expected_seq}..{event.seq - 1}")
        draft = EventDraft(
            event.action,
            event.actor_type,
            event.actor_id,
            event.from_state,
            event.to_state,
            event.comment,
            event.details,
        )
        recomputed = chain_hash(
            prev_hash,
            canonical_event(
                application_id=application.id,
                seq=event.seq,
                draft=draft,
                created_at=event.created_at,
            ),
        )
        if event.prev_hash != prev_hash or event.hash != recomputed:
            report(event.seq, "event edited (hash does not match its content)")
        prev_hash, expected_seq = event.hash, event.seq + 1
    if application.event_seq != expected_seq - 1 or application.event_head != prev_hash:
        report(application.event_seq, "last events missing (chain head does not match)")
    return problems
