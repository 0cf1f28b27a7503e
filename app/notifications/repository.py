"""Every query of the outbox: matching subscriptions, claiming due messages, finishing them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, or_, select, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from app.models import Certificate, Department, OAuthClient, OutboxMessage, WebhookSubscription

PENDING, SENT, DEAD = "pending", "sent", "dead"
# Bulk UPDATEs below never touch loaded objects; skip the ORM's session synchronisation.
_CORE = {"synchronize_session": False}


# The two statements every public event runs, built once and on the tables (Core): the ORM's
# per-statement work would cost more than the database round trips themselves.
_subscriptions, _clients = WebhookSubscription.__table__, OAuthClient.__table__
_departments = Department.__table__
_ACTIVE_SUBSCRIPTIONS = (
    select(
        _subscriptions.c.id,
        _subscriptions.c.event_types,
        select(_departments.c.code)
        .where(_departments.c.id == bindparam("department_id"))
        .scalar_subquery()
        .label("department_code"),
    )
    .select_from(_subscriptions.join(_clients, _clients.c.id == _subscriptions.c.client_id))
    .where(_subscriptions.c.is_active.is_(True), _clients.c.is_active.is_(True))
)
_INSERT_MESSAGES = OutboxMessage.__table__.insert()


def active_subscriptions(session: Session, *, department_id: int) -> Sequence[Row]:
    """(id, event_types, department_code) of every active subscription of an active client."""
    return session.execute(_ACTIVE_SUBSCRIPTIONS, {"department_id": department_id}).all()


def certificate_codes(session: Session, application_id: uuid.UUID) -> Row | None:
    """(number, verification_code) of the application's certificate, if any."""
    return session.execute(
        select(Certificate.number, Certificate.verification_code).where(
            Certificate.application_id == application_id
        )
    ).first()


def insert_messages(session: Session, rows: list[dict[str, Any]]) -> None:
    session.execute(_INSERT_MESSAGES, rows[0] if len(rows) == 1 else rows)


def _due(now: datetime) -> ColumnElement[bool]:
    return (
        (OutboxMessage.status == PENDING)
        & (OutboxMessage.next_attempt_at <= now)
        & or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until < now)
    )


def any_due(session: Session, *, now: datetime) -> bool:
    """A cheap read first, so an idle dispatcher never takes SQLite's write lock."""
    return session.execute(select(OutboxMessage.id).where(_due(now)).limit(1)).first() is not None


def claim_due(
    session: Session, *, now: datetime, lease_until: datetime, batch: int, skip_locked: bool
) -> list[Row]:
    """Lease up to ``batch`` due messages to this worker and count the attempt, oldest first."""
    due = select(OutboxMessage.id).where(_due(now)).order_by(OutboxMessage.next_attempt_at)
    due = due.limit(batch)
    if skip_locked:  # PostgreSQL: concurrent workers pass over each other's rows, never wait
        due = due.with_for_update(skip_locked=True)
    statement = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due))
        .values(locked_until=lease_until, attempts=OutboxMessage.attempts + 1)
        .returning(
            OutboxMessage.id,
            OutboxMessage.kind,
            OutboxMessage.subscription_id,
            OutboxMessage.recipient,
            OutboxMessage.event_type,
            OutboxMessage.payload,
            OutboxMessage.attempts,
            OutboxMessage.locked_until,
            OutboxMessage.created_at,
        )
        .execution_options(**_CORE)
    )
    return sorted(session.execute(statement).all(), key=lambda row: row.created_at)


def delivery_targets(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, Row]:
    """Subscriptions by id with their URL, secret and whether they (and the client) are active."""
    if not ids:
        return {}
    query = (
        select(
            WebhookSubscription.id,
            WebhookSubscription.url,
            WebhookSubscription.secret,
            (WebhookSubscription.is_active & OAuthClient.is_active).label("active"),
        )
        .join(OAuthClient, OAuthClient.id == WebhookSubscription.client_id)
        .where(WebhookSubscription.id.in_(ids))
    )
    return {row.id: row for row in session.execute(query).all()}


def _owned(message_id: uuid.UUID, attempts: int) -> tuple[ColumnElement[bool], ...]:
    # The attempt count identifies the lease: a worker whose lease ran out and was re-claimed
    # by another worker must not overwrite that worker's bookkeeping.
    # mypy reads SQLModel comparisons as bool (see the mypy overrides in pyproject.toml).
    return (  # type: ignore[return-value]
        OutboxMessage.id == message_id,
        OutboxMessage.attempts == attempts,
        OutboxMessage.status == PENDING,
    )


def mark_sent(session: Session, *, message_id: uuid.UUID, now: datetime) -> None:
    """Sent, whoever holds the lease now: a late success still spares the receiver a repeat."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == PENDING)
        .values(status=SENT, sent_at=now, locked_until=None, last_error=None)
        .execution_options(**_CORE)
    )


def mark_failed(
    session: Session,
    *,
    message_id: uuid.UUID,
    attempts: int,
    error: str,
    retry_at: datetime | None,
) -> None:
    """Schedule the next attempt at ``retry_at``, or give up (dead) when it is None."""
    values: dict[str, Any] = {"locked_until": None, "last_error": error}
    values |= {"next_attempt_at": retry_at} if retry_at else {"status": DEAD}
    session.execute(
        update(OutboxMessage)
        .where(*_owned(message_id, attempts))
        .values(**values)
        .execution_options(**_CORE)
    )


def release(session: Session, *, message_id: uuid.UUID, attempts: int, retry_at: datetime) -> None:
    """Hand back a claimed message that was not attempted (its attempt is not counted)."""
    session.execute(
        update(OutboxMessage)
        .where(*_owned(message_id, attempts))
        .values(locked_until=None, attempts=attempts - 1, next_attempt_at=retry_at)
        .execution_options(**_CORE)
    )


def dead_messages(session: Session, *, limit: int) -> list[OutboxMessage]:
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == DEAD)
        .order_by(OutboxMessage.created_at)
        .limit(limit)
    )
    return list(session.execute(query).scalars().all())


def subscription_urls(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    query = select(WebhookSubscription.id, WebhookSubscription.url).where(
        WebhookSubscription.id.in_(ids)
    )
    return {row.id: row.url for row in session.execute(query).all()}


def revive(session: Session, *, now: datetime, message_id: uuid.UUID | None = None) -> int:
    """Dead messages (one, or all) back to pending with a fresh attempt budget."""
    conditions = [OutboxMessage.status == DEAD]
    if message_id is not None:
        conditions.append(OutboxMessage.id == message_id)
    result = session.execute(
        update(OutboxMessage)
        .where(*conditions)
        .values(status=PENDING, attempts=0, next_attempt_at=now, locked_until=None)
        .execution_options(**_CORE)
    )
    return result.rowcount
