"""Response shapes every case type shares: SLA, timeline, documents, actions."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel

from app.schemas_common import InputModel, PlainText, Version


class SlaRead(BaseModel):
    due_at: date | None
    working_days_left: int | None
    paused: bool
    paused_working_days: int
    overdue: bool


class PersonRead(BaseModel):
    id: uuid.UUID
    full_name: str


class DocumentRead(BaseModel):
    id: uuid.UUID
    requirement: str
    original_name: str
    content_type: str
    size: int
    sha256: str
    version: int
    is_current: bool
    created_at: datetime


class DocumentList(BaseModel):
    items: list[DocumentRead]


class ActionRead(BaseModel):
    action: str
    label: str
    target_state: str | None
    needs_comment: bool


class ActionList(BaseModel):
    state: str
    version: int
    items: list[ActionRead]


class EventRead(BaseModel):
    seq: int
    action: str
    from_state: str | None
    to_state: str | None
    actor_type: str
    actor_id: str | None
    comment: str | None
    details: dict[str, Any]
    created_at: datetime
    hash: str


class EventList(BaseModel):
    items: list[EventRead]


class TransitionRequest(InputModel):
    """One workflow action on a case: its name, an optional comment, the version seen."""

    action: Annotated[str, PlainText(32, min_length=1)]
    comment: Annotated[str, PlainText(4000)] | None = None
    version: Version
