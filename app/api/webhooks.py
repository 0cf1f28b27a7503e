"""Webhook subscription endpoints for machine clients."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from app.http.openapi import CALLER, problems
from app.http.pipeline import CallerDep
from app.integration import service
from app.integration.schemas import (
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionList,
    SubscriptionRead,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


@router.post(
    "",
    response_model=SubscriptionCreated,
    status_code=201,
    responses=problems(*CALLER, 400, 413),
)
async def subscribe(body: SubscriptionCreate, caller: CallerDep) -> SubscriptionCreated:
    return await caller.run(service.subscribe, settings=caller.runtime.settings, request=body)


@router.get("", response_model=SubscriptionList, responses=problems(*CALLER))
async def list_subscriptions(caller: CallerDep) -> SubscriptionList:
    return await caller.run(service.list_subscriptions)


@router.get("/{subscription_id}", response_model=SubscriptionRead, responses=problems(*CALLER, 404))
async def get_subscription(subscription_id: uuid.UUID, caller: CallerDep) -> SubscriptionRead:
    return await caller.run(service.get_subscription, subscription_id=subscription_id)


@router.delete("/{subscription_id}", status_code=204, responses=problems(*CALLER, 404))
async def unsubscribe(subscription_id: uuid.UUID, caller: CallerDep) -> Response:
    await caller.run(service.unsubscribe, subscription_id=subscription_id)
    return Response(status_code=204)
