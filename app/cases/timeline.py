"""Every case's timeline: an event hash chain, ``hash = sha256(prev_hash || canonical JSON)``.

Appending moves the chain head stored on the case row in the same UPDATE that checks it
(``event_seq``), so two writers can never both append after the same event: the loser's UPDATE
matches no row and it answers 409. The head on the case row also makes a deleted last event
detectable. Every change to a case, by its own type's code or by certificates, goes through
``append``; each event then tells the outbox (``publishing``), in the same transaction.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from app.cases import publishing, repository
from app.db import Session
from app.errors import StaleVersion
from app.models import Case
from app.models.base import utcnow

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


def _event_fields(*, case_id: uuid.UUID, seq: int, draft: EventDraft) -> dict[str, Any]:
    """What an event says, shared by its stored row and its hashed canonical form."""
    return {
        "case_id": case_id,
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
    *, case_id: uuid.UUID, seq: int, draft: EventDraft, created_at: datetime
) -> bytes:
    """The exact bytes hashed for one event (sorted keys, no spaces, UTF-8, UTC microseconds).

    The case's id is hashed under its first name, ``application_id``: chains written before the
    kernel existed verify unchanged, and one name for every case type is all a hash needs."""
    fields = _event_fields(case_id=case_id, seq=seq, draft=draft)
    del fields["case_id"]
    payload = {
        **fields,
        "application_id": str(case_id),
        "created_at": created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(prev_hash: str, canonical: bytes) -> str:
    return hashlib.sha256(prev_hash.encode() + canonical).hexdigest()


def event_row(
    *, case_id: uuid.UUID, seq: int, prev_hash: str, draft: EventDraft, created_at: datetime
) -> dict[str, Any]:
    """Column values of the event that follows ``prev_hash`` as number ``seq``."""
    digest = chain_hash(
        prev_hash, canonical_event(case_id=case_id, seq=seq, draft=draft, created_at=created_at)
    )
    return {
        **_event_fields(case_id=case_id, seq=seq, draft=draft),
        "created_at": created_at,
        "prev_hash": prev_hash,
        "hash": digest,
    }


def append(
    session: Session,
    *,
    case: Case,
    draft: EventDraft,
    changes: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> dict[str, Any]:
    """Apply ``changes`` to the case and append ``draft`` to its chain, atomically; returns the
    event's row. With ``expected_version`` the write is also an optimistic-lock check and bumps
    the version."""
    now = utcnow()
    seq = case.event_seq + 1
    row = event_row(
        case_id=case.id, seq=seq, prev_hash=case.event_head, draft=draft, created_at=now
    )
    values = {**(changes or {}), "event_seq": seq, "event_head": row["hash"], "updated_at": now}
    if expected_version is not None:
        values["version"] = expected_version + 1
    moved = repository.move_head(
        session, case=case, values=values, expected_version=expected_version, event=row
    )
    if not moved:
        raise StaleVersion()
    # After the case is in step: webhook payloads report the state this event leads to.
    publishing.publish(session, case=case, event=row)
    return row


@dataclass(frozen=True)
class ChainProblem:
    case_id: uuid.UUID
    reference: str
    seq: int
    problem: str


def verify_chain(session: Session, case: Case) -> list[ChainProblem]:
    """Re-walk one case's chain: edited rows by number, deleted rows as gaps."""
    events = repository.events(session, case.id)
    problems: list[ChainProblem] = []
    prev_hash, expected_seq = GENESIS, 1

    def report(seq: int, text: str) -> None:
        problems.append(ChainProblem(case.id, case.reference, seq, text))

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
                case_id=case.id,
                seq=event.seq,
                draft=draft,
                created_at=event.created_at,
            ),
        )
        if event.prev_hash != prev_hash or event.hash != recomputed:
            report(event.seq, "event edited (hash does not match its content)")
        prev_hash, expected_seq = event.hash, event.seq + 1
    if case.event_seq != expected_seq - 1 or case.event_head != prev_hash:
        report(case.event_seq, "last events missing (chain head does not match)")
    return problems


def verify_all_chains(session: Session) -> tuple[int, list[ChainProblem]]:
    """Re-walk every case's event chain (``loket audit verify``)."""
    checked, problems = 0, []
    for case in repository.all_cases(session):
        checked += 1
        problems.extend(verify_chain(session, case))
    return checked, problems
