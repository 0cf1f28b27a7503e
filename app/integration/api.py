"""Webhook subscription endpoints for machine clients."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from app.http.deps import CurrentPrincipal, RuntimeDep, SessionDep
from app.integration import service
from app.integration.schemas import (
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionList,
    SubscriptionRead,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


@router.post("", response_model=SubscriptionCreated, status_code=201)
def subscribe(
    body: SubscriptionCreate, session: SessionDep, principal: CurrentPrincipal, runtime: RuntimeDep
) -> SubscriptionCreated:
    return service.subscribe(session, principal=principal, settings=runtime.settings, request=body)


@router.get("", response_model=SubscriptionList)
def list_subscriptions(session: SessionDep, principal: CurrentPrincipal) -> SubscriptionList:
    return service.list_subscriptions(session, principal=principal)


@router.get("/{subscription_id}", response_model=SubscriptionRead)
def get_subscription(
    subscription_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> SubscriptionRead:
    return service.get_subscription(session, principal=principal, subscription_id=subscription_id)


@router.delete("/{subscription_id}", status_code=204)
def unsubscribe(
    subscription_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> Response:
    service.unsubscribe(session, principal=principal, subscription_id=subscription_id)
    return Response(status_code=204)
