"""Request and response shapes for applications."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, EmailStr, Field

from app.schemas_common import InputModel, PlainText


class ApplicationCreate(InputModel):
    service_code: Annotated[str, PlainText(16, min_length=1)]
    data: dict[str, Any] = Field(default_factory=dict)
    # Assisted digital: an officer keys in an application for this (existing) resident.
    applicant_email: EmailStr | None = None


class ApplicationUpdate(InputModel):
    """Changed form fields (merged into the draft; null removes a field)."""

    data: dict[str, Any]
    version: int = Field(ge=1, strict=True)


class TransitionRequest(InputModel):
    action: Annotated[str, PlainText(32, min_length=1)]
    comment: Annotated[str, PlainText(4000)] | None = None
    version: int = Field(ge=1, strict=True)


class SlaRead(BaseModel):
    due_at: date | None
    working_days_left: int | None
    paused: bool
    paused_working_days: int
    overdue: bool


class PersonRead(BaseModel):
    id: uuid.UUID
    full_name: str


class ApplicationSummary(BaseModel):
    id: uuid.UUID
    reference: str
    service_code: str
    state: str
    version: int
    applicant: PersonRead
    assigned_to_id: uuid.UUID | None
    created_at: datetime
    submitted_at: datetime | None
    sla: SlaRead


class ApplicationRead(ApplicationSummary):
    service_version: int
    data: dict[str, Any]
    submitted_by_id: uuid.UUID | None
    decided_at: datetime | None
    updated_at: datetime
    certificate_number: str | None = None


class ApplicationPage(BaseModel):
    items: list[ApplicationSummary]
    next_cursor: str | None


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
