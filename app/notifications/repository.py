"""Every query of the outbox: matching subscriptions, claiming due messages, finishing them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, func, or_, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from app.db import batch_cached, insert_later, rowcount, table_of
from app.models import (
    Certificate,
    Department,
    Notification,
    OAuthClient,
    OutboxMessage,
    WebhookSubscription,
)

PENDING, SENT, DEAD = "pending", "sent", "dead"
# Bulk UPDATEs below never touch loaded objects; skip the ORM's session synchronisation.
_CORE = {"synchronize_session": False}


# The two statements every public event runs, built once and on the tables (Core): the ORM's
# per-statement work would cost more than the database round trips themselves.
_subscriptions = table_of(WebhookSubscription)
_clients, _departments = table_of(OAuthClient), table_of(Department)
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
_MESSAGES = table_of(OutboxMessage)
_INSERT_MESSAGES = _MESSAGES.insert()


def active_subscriptions(session: Session, *, department_id: int | None) -> Sequence[Row]:
    """(id, event_types, department_code) of every active subscription of an active client
    (asked once per department in a batch job's session: ``app.db.cache_per_batch``)."""
    return batch_cached(
        session,
        ("active_subscriptions", department_id),
        lambda: session.execute(_ACTIVE_SUBSCRIPTIONS, {"department_id": department_id}).all(),
    )


def certificate_codes(session: Session, application_id: uuid.UUID) -> Row | None:
    """(number, verification_code) of the application's certificate, if any."""
    return session.execute(
        select(col(Certificate.number), col(Certificate.verification_code)).where(
            col(Certificate.application_id) == application_id
        )
    ).first()


def insert_messages(session: Session, rows: list[dict[str, Any]]) -> None:
    if all([insert_later(session, _MESSAGES, row) for row in rows]):
        return
    session.execute(_INSERT_MESSAGES, rows[0] if len(rows) == 1 else rows)


def _due(now: datetime) -> ColumnElement[bool]:
    locked_until = col(OutboxMessage.locked_until)
    return (
        (col(OutboxMessage.status) == PENDING)
        & (col(OutboxMessage.next_attempt_at) <= now)
        & or_(locked_until.is_(None), locked_until < now)
    )


def any_due(session: Session, *, now: datetime) -> bool:
    """A cheap read first, so an idle dispatcher never takes SQLite's write lock."""
    query = select(col(OutboxMessage.id)).where(_due(now)).limit(1)
    return session.execute(query).first() is not None


def claim_due(session: Session, *, now: datetime, lease_until: datetime, batch: int) -> list[Row]:
    """Lease up to ``batch`` due messages to this worker and count the attempt, oldest first.

    On SQLite the write transaction (``BEGIN IMMEDIATE``) serialises claims; on PostgreSQL
    concurrent workers pass over each other's rows (``SKIP LOCKED``) and never wait."""
    due = (
        select(col(OutboxMessage.id))
        .where(_due(now))
        .order_by(col(OutboxMessage.next_attempt_at))
        .limit(batch)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    statement = (
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(due))
        .values(locked_until=lease_until, attempts=col(OutboxMessage.attempts) + 1)
        .returning(
            col(OutboxMessage.id),
            col(OutboxMessage.kind),
            col(OutboxMessage.subscription_id),
            col(OutboxMessage.recipient),
            col(OutboxMessage.event_type),
            col(OutboxMessage.payload),
            col(OutboxMessage.attempts),
            col(OutboxMessage.locked_until),
            col(OutboxMessage.created_at),
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
            col(WebhookSubscription.id),
            col(WebhookSubscription.url),
            col(WebhookSubscription.secret),
            (col(WebhookSubscription.is_active) & col(OAuthClient.is_active)).label("active"),
        )
        .join(OAuthClient, col(OAuthClient.id) == col(WebhookSubscription.client_id))
        .where(col(WebhookSubscription.id).in_(ids))
    )
    return {row.id: row for row in session.execute(query).all()}


def _owned(message_id: uuid.UUID, attempts: int) -> tuple[ColumnElement[bool], ...]:
    # The attempt count identifies the lease: a worker whose lease ran out and was re-claimed
    # by another worker must not overwrite that worker's bookkeeping.
    return (
        col(OutboxMessage.id) == message_id,
        col(OutboxMessage.attempts) == attempts,
        col(OutboxMessage.status) == PENDING,
    )


def mark_sent(session: Session, *, message_id: uuid.UUID, now: datetime) -> None:
    """Sent, whoever holds the lease now: a late success still spares the receiver a repeat."""
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id, col(OutboxMessage.status) == PENDING)
        .values(status=SENT, sent_at=now, locked_until=None, last_error=None)
        .execution_options(**_CORE)
    )


def forget_payload_fields(
    session: Session, *, message_id: uuid.UUID, payload: dict[str, Any], fields: frozenset[str]
) -> None:
    """Keep a sent message without ``fields`` (secrets such as a password-reset link)."""
    kept = {key: value for key, value in payload.items() if key not in fields}
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .values(payload=kept)
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
        .where(col(OutboxMessage.status) == DEAD)
        .order_by(col(OutboxMessage.created_at))
        .limit(limit)
    )
    return list(session.exec(query).all())


def message_by_id(session: Session, message_id: uuid.UUID) -> OutboxMessage | None:
    return session.get(OutboxMessage, message_id)


def subscription_urls(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    query = select(col(WebhookSubscription.id), col(WebhookSubscription.url)).where(
        col(WebhookSubscription.id).in_(ids)
    )
    return {row.id: row.url for row in session.execute(query).all()}


def revive(session: Session, *, now: datetime, message_id: uuid.UUID | None = None) -> int:
    """Dead messages (one, or all) back to pending with a fresh attempt budget."""
    conditions = [col(OutboxMessage.status) == DEAD]
    if message_id is not None:
        conditions.append(col(OutboxMessage.id) == message_id)
    result = session.execute(
        update(OutboxMessage)
        .where(*conditions)
        .values(status=PENDING, attempts=0, next_attempt_at=now, locked_until=None)
        .execution_options(**_CORE)
    )
    return rowcount(result)


def backlog(session: Session) -> list[Row]:
    """Pending and dead messages per status and kind, with the oldest one's creation time
    (the metrics' outbox gauges; sent messages are left out by the status index)."""
    status, kind = col(OutboxMessage.status), col(OutboxMessage.kind)
    query = (
        select(status, kind, func.count(), func.min(col(OutboxMessage.created_at)))
        .where(status.in_((PENDING, DEAD)))
        .group_by(status, kind)
    )
    return list(session.execute(query).all())


# --- notifications in the portal (app/notifications/inbox.py) --------------------------------

_NOTIFICATIONS = table_of(Notification)
_INSERT_NOTIFICATIONS = _NOTIFICATIONS.insert()
_UNREAD = (
    select(func.count())
    .select_from(_NOTIFICATIONS)
    .where(_NOTIFICATIONS.c.user_id == bindparam("user_id"), _NOTIFICATIONS.c.read_at.is_(None))
)


def insert_notifications(session: Session, rows: list[dict[str, Any]]) -> None:
    if all([insert_later(session, _NOTIFICATIONS, row) for row in rows]):
        return
    session.execute(_INSERT_NOTIFICATIONS, rows[0] if len(rows) == 1 else rows)


def unread_count(session: Session, user_id: uuid.UUID) -> int:
    """One range of ix_notifications_user_read."""
    return session.execute(_UNREAD, {"user_id": user_id}).scalar_one()


def notifications_of(
    session: Session, *, user_id: uuid.UUID, offset: int, limit: int
) -> list[Notification]:
    query = (
        select(Notification)
        .where(col(Notification.user_id) == user_id)
        .order_by(col(Notification.created_at).desc(), col(Notification.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return list(session.exec(query).all())


def notification_of(
    session: Session, *, user_id: uuid.UUID, notification_id: uuid.UUID
) -> Notification | None:
    """The notification if it is this person's (read-scoping in the query)."""
    query = select(Notification).where(
        col(Notification.id) == notification_id, col(Notification.user_id) == user_id
    )
    return session.exec(query).first()


def mark_read(session: Session, notification: Notification, *, now: datetime) -> None:
    notification.read_at = now
    session.add(notification)


def mark_all_read(session: Session, *, user_id: uuid.UUID, now: datetime) -> int:
    statement = (
        update(Notification)
        .where(col(Notification.user_id) == user_id, col(Notification.read_at).is_(None))
        .values(read_at=now)
        .execution_options(**_CORE)
    )
    return rowcount(session.execute(statement))
