"""Webhook subscriptions of machine clients (delivery lives in app.notifications)."""

from __future__ import annotations

import uuid

from app.accounts.principal import Principal
from app.config import Settings
from app.db import Session
from app.errors import Msg, NotFound
from app.integration import repository
from app.integration.schemas import (
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionList,
    SubscriptionRead,
)
from app.models import WebhookSubscription
from app.notifications.webhooks import new_secret, validate_webhook_url

MANAGE_SCOPE = "webhooks:manage"


def subscribe(
    session: Session, *, principal: Principal, settings: Settings, request: SubscriptionCreate
) -> SubscriptionCreated:
    """Subscribe the calling client to events; the URL must be safe to call from the server."""
    client = _managing_client(principal)
    validate_webhook_url(request.url, allowed_private=settings.webhook_allowed_private)
    subscription = WebhookSubscription(
        client_id=client.id,
        url=request.url,
        event_types=sorted(set(request.event_types)),
        secret=new_secret(),
    )
    repository.insert_subscription(session, subscription)
    return SubscriptionCreated(**_read(subscription).model_dump(), secret=subscription.secret)


def list_subscriptions(session: Session, *, principal: Principal) -> SubscriptionList:
    client = _managing_client(principal)
    rows = repository.active_subscriptions_of(session, client.id)
    return SubscriptionList(items=[_read(row) for row in rows])


def get_subscription(
    session: Session, *, principal: Principal, subscription_id: uuid.UUID
) -> SubscriptionRead:
    return _read(_own(session, principal, subscription_id))


def unsubscribe(session: Session, *, principal: Principal, subscription_id: uuid.UUID) -> None:
    """Stop deliveries; pending messages of the subscription are left to expire as dead."""
    subscription = _own(session, principal, subscription_id)
    subscription.is_active = False
    repository.save_subscription(session, subscription)


def _own(session: Session, principal: Principal, subscription_id: uuid.UUID) -> WebhookSubscription:
    client = _managing_client(principal)
    subscription = repository.subscription_by_id(session, subscription_id)
    if subscription is None or subscription.client_id != client.id or not subscription.is_active:
        raise NotFound(Msg("Langganan tidak ditemukan", "Subscription not found"))
    return subscription


def _managing_client(principal: Principal):
    principal.require_scope(MANAGE_SCOPE)
    if principal.client is None:
        raise NotFound(
            Msg(
                "Langganan webhook hanya untuk klien sistem",
                "Webhook subscriptions belong to system clients",
            )
        )
    return principal.client


def _read(subscription: WebhookSubscription) -> SubscriptionRead:
    return SubscriptionRead(
        id=subscription.id,
        url=subscription.url,
        event_types=subscription.event_types,
        created_at=subscription.created_at,
    )
