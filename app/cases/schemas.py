"""Response shapes every case type shares: SLA, timeline, documents, actions."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from app.schemas_common import InputModel, PlainText, Version


class SlaRead(BaseModel):
    due_at: date | None
    working_days_left: int | None
    paused: bool
    paused_working_days: int
    overdue: bool
    # Deadlines that bind: the one extension, the warning and the escalation (when they came).
    extended_days: int = 0
    warned_at: datetime | None = None
    escalated_at: datetime | None = None


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
    needs_days: bool = False  # extend: working days to add
    needs_assignee: bool = False  # reassign: the officer who takes over


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
    # ``extend``: working days to add (the service's maximum is checked by the action).
    days: Annotated[int, Field(ge=1, le=365)] | None = None
    # ``reassign``: the officer of the department who takes the file over.
    assignee_id: uuid.UUID | None = None
