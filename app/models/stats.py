"""Precomputed facts for public statistics: one small row per submitted application."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from app.models.certificates import Certificate


class ApplicationFact(SQLModel, table=True):
    """What statistics need of one submitted application; no personal data."""

    __tablename__ = "application_facts"

    application_id: uuid.UUID = Field(primary_key=True)
    service_code: str = Field(max_length=16, index=True)
    department_id: int = Field(index=True)
    submitted_on: date = Field(index=True)
    decided_on: date | None = Field(default=None, index=True)
    # approved | rejected | withdrawn, or None while the application is open.
    outcome: str | None = Field(default=None, max_length=16)
    # Working days the authority held the file, for approvals and rejections only.
    working_days: int | None = None
    within_sla: bool | None = None
    revision_requested: bool = Field(default=False)
    due_on: date | None = None


class StatsState(SQLModel, table=True):
    """Watermark of the last facts refresh (one row, ``name="facts"``)."""

    __tablename__ = "stats_state"

    name: str = Field(primary_key=True, max_length=32)
    watermark: datetime | None = None
    refreshed_at: datetime | None = None


# Certificates issued and revoked per period are counted by these columns.
Index("ix_certificates_issued_at", Certificate.__table__.c.issued_at)  # type: ignore[attr-defined]
Index("ix_certificates_revoked_at", Certificate.__table__.c.revoked_at)  # type: ignore[attr-defined]
