"""Shapes for webhook subscriptions."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from app.schemas_common import InputModel

EventPattern = Annotated[
    str, StringConstraints(pattern=r"^(\*|(application|certificate|complaint)\.(\*|[a-z_]{1,40}))$")
]


class SubscriptionCreate(InputModel):
    # Checked by the service (https, a public address); the pattern documents the first rule.
    url: Annotated[
        str,
        StringConstraints(max_length=2000, min_length=8),
        Field(json_schema_extra={"pattern": "^https://", "format": "uri"}),
    ]
    event_types: list[EventPattern] = Field(min_length=1, max_length=50)


class SubscriptionRead(BaseModel):
    id: uuid.UUID
    url: str
    event_types: list[str]
    created_at: datetime


class SubscriptionCreated(SubscriptionRead):
    secret: str  # Standard Webhooks signing secret, shown only in this response


class SubscriptionList(BaseModel):
    items: list[SubscriptionRead]
