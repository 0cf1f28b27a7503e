"""Ways of rewriting history with write access to the database, each with what ``loket audit
verify`` must name afterwards (the attacks of issue 11, item 2; used by the audit tests and by
the crash test, which tampers with what the crashes left).

Each tampering takes a session and a story (an approved, an in-review and a rejected
application, as the API returned them, all logged under a checkpoint) and returns the findings,
as (kind, where) pairs, that verification must report.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import delete, func, select, update

from app.audit import merkle
from app.cases import timeline
from app.cases.timeline import EventDraft
from app.db import Session
from app.models import (
    Application,
    AuditCheckpoint,
    AuditLeaf,
    Case,
    Certificate,
    Document,
    Event,
    Invoice,
    Notification,
)
from app.models.base import utcnow

Story = dict[str, dict]
Expected = set[tuple[str, str]]
STORY_STATES = ("approved", "in_review", "rejected")


def _case_id(application: dict) -> uuid.UUID:
    return uuid.UUID(application["id"])


def _events(session: Session, application: dict) -> list[Event]:
    query = select(Event).where(Event.case_id == _case_id(application)).order_by(Event.seq)
    return list(session.execute(query).scalars())


def edit_an_event(session: Session, story: Story) -> Expected:
    event = _events(session, story["approved"])[1]
    session.execute(update(Event).where(Event.id == event.id).values(comment="diubah"))
    return {("event_edited", story["approved"]["reference"])}


def back_date_an_event(session: Session, story: Story) -> Expected:
    event = _events(session, story["approved"])[1]
    earlier = event.created_at - timedelta(days=3)
    session.execute(update(Event).where(Event.id == event.id).values(created_at=earlier))
    return {("event_edited", story["approved"]["reference"])}


def delete_an_event(session: Session, story: Story) -> Expected:
    event = _events(session, story["in_review"])[1]
    session.execute(delete(Event).where(Event.id == event.id))
    reference = story["in_review"]["reference"]
    return {("events_missing", reference), ("event_deleted", reference)}


def edit_with_every_hash_recomputed(session: Session, story: Story) -> Expected:
    """The per-case chain has no secret: rewrite the rejection and recompute every hash after
    it, and the chain verifies. The log still holds the old hashes under a signed root."""
    application = story["rejected"]
    prev = timeline.GENESIS
    for row in _events(session, application):
        comment = "Disetujui saja" if row.action == "application.rejected" else row.comment
        draft = EventDraft(
            row.action, row.actor_type, row.actor_id, row.from_state, row.to_state,
            comment, row.details,
        )  # fmt: skip
        new = timeline.event_row(
            case_id=row.case_id, seq=row.seq, prev_hash=prev, draft=draft, created_at=row.created_at
        )
        session.execute(
            update(Event)
            .where(Event.id == row.id)
            .values(comment=comment, prev_hash=prev, hash=new["hash"])
        )
        prev = new["hash"]
    session.execute(update(Case).where(Case.id == _case_id(application)).values(event_head=prev))
    return {("event_changed_after_logging", application["reference"])}


def change_the_state_on_the_case_row_only(session: Session, story: Story) -> Expected:
    application = story["in_review"]
    session.execute(update(Case).where(Case.id == _case_id(application)).values(state="approved"))
    reference = application["reference"]
    # approved with no certificate, as the probe found
    return {("state_not_from_events", reference), ("certificate_missing", reference)}


def delete_a_certificate(session: Session, story: Story) -> Expected:
    application = story["approved"]
    session.execute(delete(Certificate).where(Certificate.application_id == _case_id(application)))
    return {("certificate_missing", application["reference"])}


def delete_a_case(session: Session, story: Story) -> Expected:
    case_id = _case_id(story["approved"])
    for table, column in (
        (Certificate, Certificate.application_id),
        (Document, Document.case_id),
        (Event, Event.case_id),
        (Notification, Notification.case_id),
        (Invoice, Invoice.case_id),
        (Application, Application.id),
        (Case, Case.id),
    ):
        session.execute(delete(table).where(column == case_id))
    return {("case_deleted", str(case_id))}


def delete_a_checkpoint(session: Session, story: Story) -> Expected:
    latest = session.execute(select(func.max(AuditCheckpoint.tree_size))).scalar_one()
    session.execute(delete(AuditCheckpoint).where(AuditCheckpoint.tree_size == latest))
    return {("checkpoint_deleted", str(latest))}


def rewrite_the_log_and_its_root(session: Session, story: Story) -> Expected:
    """Rewrite a logged event's leaf and the database's checkpoint root to match: without the
    key outside the database the signature no longer checks, and the outside copy disagrees."""
    latest = session.execute(select(func.max(AuditCheckpoint.tree_size))).scalar_one()
    first = session.execute(select(AuditLeaf).where(AuditLeaf.position == 0)).scalar_one()
    case = session.get(Case, first.case_id)
    session.execute(update(AuditLeaf).where(AuditLeaf.position == 0).values(leaf_hash="00" * 32))
    leaves = session.execute(
        select(AuditLeaf.leaf_hash).where(AuditLeaf.position < latest).order_by(AuditLeaf.position)
    )
    root = merkle.root_of(bytes.fromhex(h) for h in leaves.scalars()).hex()
    session.execute(
        update(AuditCheckpoint).where(AuditCheckpoint.tree_size == latest).values(root_hash=root)
    )
    return {("checkpoint_altered", str(latest)), ("event_changed_after_logging", case.reference)}


def slip_in_an_event(session: Session, story: Story) -> Expected:
    """A forged event appended with a valid hash (the chain has no secret) is never logged."""
    application = story["approved"]
    case = session.get(Case, _case_id(application))
    row = timeline.event_row(
        case_id=case.id,
        seq=case.event_seq + 1,
        prev_hash=case.event_head,
        draft=EventDraft("application.data_updated", "user", None, details={}),
        created_at=utcnow() - timedelta(days=2),
    )
    session.execute(Event.__table__.insert(), row)
    session.execute(
        update(Case).where(Case.id == case.id).values(event_seq=row["seq"], event_head=row["hash"])
    )
    return {("event_not_logged", application["reference"])}


TAMPERINGS: dict[str, Callable[[Session, Story], Expected]] = {
    "an edited event": edit_an_event,
    "a back-dated event": back_date_an_event,
    "a deleted event": delete_an_event,
    "an edit with every hash recomputed": edit_with_every_hash_recomputed,
    "a state changed on the case row only": change_the_state_on_the_case_row_only,
    "a deleted certificate": delete_a_certificate,
    "a deleted case": delete_a_case,
    "a deleted checkpoint": delete_a_checkpoint,
    "a rewritten log re-rooted": rewrite_the_log_and_its_root,
    "an event slipped in": slip_in_an_event,
}
