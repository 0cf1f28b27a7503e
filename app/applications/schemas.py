"""Request and response shapes for applications."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, EmailStr, Field

from app.cases.schemas import PersonRead, SlaRead
from app.payments.schemas import FeeRead
from app.schemas_common import InputModel, PlainText, Version


class ApplicationCreate(InputModel):
    service_code: Annotated[str, PlainText(16, min_length=1)]
    data: dict[str, Any] = Field(default_factory=dict)
    # Assisted digital: an officer keys in an application for this (existing) resident.
    applicant_email: EmailStr | None = None


class ApplicationUpdate(InputModel):
    """Changed form fields (merged into the draft; null removes a field)."""

    data: dict[str, Any]
    version: Version


class ApplicationSummary(BaseModel):
    id: uuid.UUID
    reference: str
    service_code: str
    workflow: str
    state: str
    version: int
    applicant: PersonRead
    assigned_to_id: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    sla: SlaRead


class ApplicationRead(ApplicationSummary):
    service_version: int
    data: dict[str, Any]
    submitted_by_id: uuid.UUID | None
    decided_at: datetime | None
    certificate_number: str | None = None
    # The fee (retribusi) and how it was computed; None for a free service.
    fee: FeeRead | None = None


class ApplicationPage(BaseModel):
    items: list[ApplicationSummary]
    next_cursor: str | None
