"""Services (permit and document types), versioned."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class Service(SQLModel, table=True):
    """One version of a service definition. Applications point at the version they started with."""

    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_services_code_version"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=16, index=True)
    version: int
    # Only the newest version of a code is current; older ones stay for their applications.
    is_current: bool = Field(default=True)
    active: bool = Field(default=True)
    department_id: int = Field(foreign_key="departments.id", index=True)
    name_id: str = Field(max_length=200)
    name_en: str = Field(max_length=200)
    description_id: str = Field(default="", max_length=2000)
    description_en: str = Field(default="", max_length=2000)
    form_schema: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    documents: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    key_fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    sla_days: int
    validity_months: int | None = None
    workflow: str = Field(max_length=32)
    certificate_template: str = Field(default="default", max_length=64)
    fee_idr: int = Field(default=0)
    # What binds the authority's time (warning share, extension, deemed approval), as the
    # catalogue file gave it; missing keys take the defaults of app.catalogue.deadlines.
    deadlines: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )
    # The fee schedule (app.catalogue.fees) as the file gave it, normalised; {}: no fee.
    fee: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )
    content_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
