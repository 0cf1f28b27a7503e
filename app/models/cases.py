"""The case kernel's tables: every case type (permit applications, complaints) shares them.

A case is one file the city handles for a resident: it has a reference number, a state in its
workflow, an SLA clock, an assignee, and a hash-chained timeline of events. What only one case
type knows (the service version of an application, the location of a complaint) lives in that
type's own table, keyed by the case id.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.models.base import new_uuid, utcnow
from app.workflow.definitions import PRIVATE_STATES_SQL


class ReferenceCounter(SQLModel, table=True):
    """The last reference number handed out per series and year (SQLite; PostgreSQL uses
    sequences for case numbers)."""

    __tablename__ = "reference_counters"

    # A series: a service code, "LPR" for complaints, or "cert:" plus a service code.
    service_code: str = Field(primary_key=True, max_length=24)
    year: int = Field(primary_key=True)
    value: int = Field(default=0)


class Case(SQLModel, table=True):
    __tablename__ = "cases"
    __table_args__ = (
        # Keyset pagination of the officer queue and the resident's own list, newest first.
        Index("ix_cases_dept_created", "department_id", "kind", "created_at", "id"),
        Index("ix_cases_dept_state_created", "department_id", "kind", "state", "created_at", "id"),
        Index("ix_cases_owner_created", "owner_id", "kind", "created_at", "id"),
        Index("ix_cases_dept_due", "department_id", "due_at"),
        # The deadline sweep finds what is due without reading the table (section 11).
        Index(
            "ix_cases_deadline",
            "deadline_at",
            postgresql_where=text("deadline_at IS NOT NULL"),
            sqlite_where=text("deadline_at IS NOT NULL"),
        ),
        # The statistics refresh walks cases changed since its watermark.
        Index("ix_cases_updated", "updated_at", "id"),
        # Complaint statistics and open data read one case type's submissions in a period.
        Index("ix_cases_kind_submitted", "kind", "submitted_at"),
        # Queues never show a case in a private state (a draft): index only what they show.
        Index(
            "ix_cases_queue",
            "department_id",
            "kind",
            "created_at",
            "id",
            postgresql_where=text(PRIVATE_STATES_SQL),
            sqlite_where=text(PRIVATE_STATES_SQL),
        ),
    )

    id: uuid.UUID = Field(default_factory=new_uuid, primary_key=True)
    # Which case type owns the row ("application", "complaint"): its table holds the rest.
    kind: str = Field(max_length=16)
    reference: str = Field(max_length=32, unique=True)
    # The catalogue entry the case is about: a service code, a complaint category code.
    subject_code: str = Field(max_length=16)
    # The workflow the case runs on, fixed when it starts (a catalogue change never moves it).
    workflow: str = Field(max_length=32)
    department_id: int = Field(foreign_key="departments.id")
    # The resident the case is for: the applicant, the reporter (None for an anonymous report).
    owner_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    # The officer who keyed the case in for a walk-in resident (assisted digital).
    submitted_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    # The machine client that created it for a resident (e.g. the city's mobile app backend).
    created_by_client: str | None = Field(default=None, max_length=64)
    assigned_to_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    # Separation of duties: the officer whose step a second officer must confirm (the
    # verifier of a permit, the resolver of a complaint) may not take the confirming step.
    first_officer_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    state: str = Field(max_length=32)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    submitted_at: datetime | None = None
    decided_at: datetime | None = None
    # SLA: the due working day, and the pause bookkeeping while the resident holds the file.
    due_at: date | None = None
    paused_at: datetime | None = None
    paused_working_days: int = Field(default=0)
    # Deadlines that bind (app.cases.deadlines): the next instant the sweep has something to do
    # (a warning, an escalation, a deemed approval), kept by every action; None while nothing
    # is pending (the clock paused or stopped, or everything already done).
    deadline_at: datetime | None = None
    sla_warned_at: datetime | None = None
    escalated_at: datetime | None = None
    # Working days added by the one extension the authority may grant itself (0: none).
    extended_days: int = Field(default=0)
    version: int = Field(default=1)
    # Head of this case's event hash chain; appending checks and moves it atomically.
    event_seq: int = Field(default=0)
    event_head: str = Field(default="", max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Document(SQLModel, table=True):
    """A file attached to a case (an identity card scan, a photo of a pothole)."""

    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_case_requirement", "case_id", "requirement"),)

    id: uuid.UUID = Field(default_factory=new_uuid, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="cases.id")
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
    """Append-only timeline and audit record; hash-chained per case."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("case_id", "seq", name="uq_events_case_seq"),
        # Every case's steps in a window of time (Open311's servicerequestupdates).
        Index("ix_events_created", "created_at", "id"),
        # The statistics count deadline events (warnings, escalations, ...) in a period: an
        # index range per action instead of a scan of every event ever recorded.
        Index("ix_events_action_created", "action", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: uuid.UUID = Field(foreign_key="cases.id")
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
