"""Complaints (pengaduan): their categories (versioned catalogue data), what a case of kind
"complaint" adds to the kernel's case row, and who follows a report."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class ComplaintCategory(SQLModel, table=True):
    """One version of a complaint category. A report points at the version it was filed under."""

    __tablename__ = "complaint_categories"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_complaint_categories_version"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, index=True)
    version: int
    is_current: bool = Field(default=True)
    active: bool = Field(default=True)
    department_id: int = Field(foreign_key="departments.id")
    name_id: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    description_id: str = Field(default="", max_length=2000)
    description_en: str = Field(default="", max_length=2000)
    # Ordered rules [{area, department_code, unit}]; the first whose area holds the report's
    # kelurahan decides who takes it.
    routing: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    form_schema: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    public: bool = Field(default=True)
    anonymous_allowed: bool = Field(default=False)
    exact_location_public: bool = Field(default=True)
    response_hours: int
    resolution_days: int
    duplicate_radius_m: int
    # Warning share, extension, objections (app.catalogue.deadlines) as the file gave them.
    deadlines: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )
    content_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class Complaint(SQLModel, table=True):
    __tablename__ = "complaints"
    __table_args__ = (
        # The duplicate lookup: open reports of one category in the grid cells around a point
        # (app/complaints/geo.py), an index range on both databases rather than a scan.
        Index("ix_complaints_duplicates", "category_code", "open", "cell"),
        Index("ix_complaints_area", "area_code"),
        # Statistics count the open reports per category: only those, not every report ever
        # (SQLite's predicate is written as SQLAlchemy writes the condition, "open = 1").
        Index(
            "ix_complaints_open",
            "category_code",
            "id",
            postgresql_where=text("open"),
            sqlite_where=text("open = 1"),
        ),
    )

    id: uuid.UUID = Field(foreign_key="cases.id", primary_key=True)
    category_id: int = Field(foreign_key="complaint_categories.id")
    category_code: str = Field(max_length=16)
    description: str = Field(max_length=4000)
    latitude: float | None = None
    longitude: float | None = None
    cell: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    # The kelurahan (Kemendagri code) the reporter named; routing matched it.
    area_code: str | None = Field(default=None, max_length=13)
    address: str | None = Field(default=None, max_length=300)
    # The unit of the department that takes it (a Suku Dinas), from the routing rule.
    unit: str | None = Field(default=None, max_length=100)
    # How to reach the reporter: an anonymous report's e-mail, or a phone number given.
    contact_email: str | None = Field(default=None, max_length=254)
    contact_phone: str | None = Field(default=None, max_length=20)
    # The name a system passed with the report (Open311 first_name and last_name).
    contact_name: str | None = Field(default=None, max_length=200)
    # Open311 "open" (kept in step with the state by the workflow's effects).
    open: bool = Field(default=True)
    public: bool = Field(default=True)
    response_due_at: datetime
    first_response_at: datetime | None = None
    duplicate_of_id: uuid.UUID | None = Field(default=None, foreign_key="cases.id")
    rating: int | None = None
    rating_comment: str | None = Field(default=None, max_length=1000)
    rated_at: datetime | None = None


class ComplaintFollower(SQLModel, table=True):
    """A resident who follows someone else's report instead of filing the same one again."""

    __tablename__ = "complaint_followers"

    complaint_id: uuid.UUID = Field(foreign_key="cases.id", primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)
