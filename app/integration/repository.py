"""Queries for webhook subscriptions (the outbox reads them in app.notifications.repository)."""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, select

from app.models import WebhookSubscription


def insert_subscription(session: Session, subscription: WebhookSubscription) -> None:
    session.add(subscription)
    session.flush()


def save_subscription(session: Session, subscription: WebhookSubscription) -> None:
    session.add(subscription)


def subscription_by_id(session: Session, subscription_id: uuid.UUID) -> WebhookSubscription | None:
    return session.get(WebhookSubscription, subscription_id)


def active_subscriptions_of(session: Session, client_id: uuid.UUID) -> list[WebhookSubscription]:
    """A client's active subscriptions, oldest first."""
    query = (
        select(WebhookSubscription)
        .where(
            col(WebhookSubscription.client_id) == client_id,
            col(WebhookSubscription.is_active).is_(True),
        )
        .order_by(col(WebhookSubscription.created_at))
    )
    return list(session.exec(query).all())
