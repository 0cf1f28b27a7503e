"""Precomputed statistics: one small row per submitted application, and counts built from them."""

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
    # Read only by application (the refresh compares the stored fact with the new one); the
    # figures read the counts below, so no other index is worth its cost on every write.
    service_code: str = Field(max_length=16)
    department_id: int
    submitted_on: date
    decided_on: date | None = None
    # approved | rejected | withdrawn, or None while the application is open.
    outcome: str | None = Field(default=None, max_length=16)
    # Working days the authority held the file, for approvals and rejections only.
    working_days: int | None = None
    within_sla: bool | None = None
    revision_requested: bool = Field(default=False)
    due_on: date | None = None


class StatsCount(SQLModel, table=True):
    """Fact counts per service and department, by office day and by calendar month.

    Maintained by the facts refresh together with ``application_facts`` (same transaction), so
    figures for any period are sums over a few hundred rows instead of a scan of the facts.
    """

    __tablename__ = "stats_counts"

    grain: str = Field(primary_key=True, max_length=8)  # day | month
    starts_on: date = Field(primary_key=True)  # the day, or the first day of the month
    service_code: str = Field(primary_key=True, max_length=16)
    department_id: int = Field(primary_key=True)
    # Counted by submission day: all submitted, and those still open now.
    received: int = 0
    still_open: int = 0
    # Counted by decision day.
    approved: int = 0
    rejected: int = 0
    withdrawn: int = 0
    # Approvals and rejections decided within the SLA, and those with a revision request.
    within_sla: int = 0
    revised: int = 0


class StatsWorkingDays(SQLModel, table=True):
    """How many approvals and rejections took each number of working days, by decision day or
    month: medians and percentiles come from these counts."""

    __tablename__ = "stats_working_days"

    grain: str = Field(primary_key=True, max_length=8)
    starts_on: date = Field(primary_key=True)
    service_code: str = Field(primary_key=True, max_length=16)
    department_id: int = Field(primary_key=True)
    working_days: int = Field(primary_key=True)
    decided: int = 0


class StatsState(SQLModel, table=True):
    """Watermark of the last facts refresh (one row, ``name="facts"``)."""

    __tablename__ = "stats_state"

    name: str = Field(primary_key=True, max_length=32)
    watermark: datetime | None = None
    refreshed_at: datetime | None = None


# Certificates issued and revoked per period are counted by these columns.
Index("ix_certificates_issued_at", Certificate.__table__.c.issued_at)  # type: ignore[attr-defined]
Index("ix_certificates_revoked_at", Certificate.__table__.c.revoked_at)  # type: ignore[attr-defined]
