"""Applications, their documents, their event chain, and reference-number counters."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.models.base import new_uuid, utcnow


class ReferenceCounter(SQLModel, table=True):
    """The last reference number handed out per service code and year."""

    __tablename__ = "reference_counters"

    # A service code, or "cert:" plus a service code for certificate numbers.
    service_code: str = Field(primary_key=True, max_length=24)
    year: int = Field(primary_key=True)
    value: int = Field(default=0)


class Application(SQLModel, table=True):
    __tablename__ = "applications"
    __table_args__ = (
        # Keyset pagination of the officer queue and the citizen's list, newest first.
        Index("ix_applications_dept_created", "department_id", "created_at", "id"),
        Index("ix_applications_dept_state_created", "department_id", "state", "created_at", "id"),
        Index("ix_applications_applicant_created", "applicant_id", "created_at", "id"),
        Index("ix_applications_dept_due", "department_id", "due_at"),
        # The statistics refresh walks applications changed since its watermark.
        Index("ix_applications_updated", "updated_at", "id"),
        # The officer queue never shows drafts: index only what it can show.
        Index(
            "ix_applications_queue",
            "department_id",
            "created_at",
            "id",
            postgresql_where=text("state <> 'draft'"),
            sqlite_where=text("state <> 'draft'"),
        ),
    )

    id: uuid.UUID = Field(default_factory=new_uuid, primary_key=True)
    reference: str = Field(max_length=32, unique=True)
    service_id: int = Field(foreign_key="services.id")
    service_code: str = Field(max_length=16)
    department_id: int = Field(foreign_key="departments.id")
    applicant_id: uuid.UUID = Field(foreign_key="users.id")
    # The officer who keyed the application in for a walk-in resident (assisted digital).
    submitted_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    # The machine client that created it for a resident (e.g. the city's mobile app backend).
    created_by_client: str | None = Field(default=None, max_length=64)
    assigned_to_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    verified_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    state: str = Field(max_length=32)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    submitted_at: datetime | None = None
    decided_at: datetime | None = None
    # SLA: the due working day, and the pause bookkeeping while the citizen holds the file.
    due_at: date | None = None
    paused_at: datetime | None = None
    paused_working_days: int = Field(default=0)
    version: int = Field(default=1)
    # Head of this application's event hash chain; appending checks and moves it atomically.
    event_seq: int = Field(default=0)
    event_head: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Document(SQLModel, table=True):
    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_application_requirement", "application_id", "requirement"),
    )

    id: uuid.UUID = Field(default_factory=new_uuid, primary_key=True)
    application_id: uuid.UUID = Field(foreign_key="applications.id")
    requirement: str = Field(max_length=32)
    original_name: str = Field(max_length=160)
    content_type: str = Field(max_length=64)
    size: int
    sha256: str = Field(max_length=64)
    storage_key: str = Field(max_length=80, unique=True)
    uploaded_by_id: uuid.UUID = Field(foreign_key="users.id")
    # A re-upload for the same requirement gets version n+1 and supersedes the older one.
    version: int = Field(default=1)
    is_current: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)


class Event(SQLModel, table=True):
    """Append-only timeline and audit record; hash-chained per application."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("application_id", "seq", name="uq_events_application_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    application_id: uuid.UUID = Field(foreign_key="applications.id")
    seq: int
    action: str = Field(max_length=48)  # past tense: application.submitted, document.uploaded
    from_state: str | None = Field(default=None, max_length=32)
    to_state: str | None = Field(default=None, max_length=32)
    actor_type: str = Field(max_length=16)  # user | client | system
    actor_id: str | None = Field(default=None, max_length=64)
    comment: str | None = Field(default=None, max_length=4000)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
