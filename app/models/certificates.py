"""Issued certificates and the per-key rate-limit counters of public endpoints."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, text
from sqlmodel import Field, SQLModel

from app.models.base import new_uuid, utcnow


class Certificate(SQLModel, table=True):
    """The signed document an approval yields; at most one per application."""

    __tablename__ = "certificates"
    __table_args__ = (
        # Certificates whose file still has to be written (recovery after a crash).
        Index(
            "ix_certificates_unstored",
            "created_at",
            postgresql_where=text("stored_at IS NULL"),
            sqlite_where=text("stored_at IS NULL"),
        ),
    )

    id: uuid.UUID = Field(default_factory=new_uuid, primary_key=True)
    number: str = Field(max_length=80, unique=True)  # DEPARTMENT/SERVICE/YYYY/NNNNNN
    # The case (an application) the certificate was issued for.
    application_id: uuid.UUID = Field(foreign_key="cases.id", unique=True)
    holder_id: uuid.UUID = Field(foreign_key="users.id", index=True)
    department_id: int = Field(foreign_key="departments.id")
    service_code: str = Field(max_length=16)
    issued_at: datetime
    valid_until: date | None = None
    status: str = Field(default="valid", max_length=16)  # valid | revoked (expiry is computed)
    revoked_at: datetime | None = None
    revocation_reason: str | None = Field(default=None, max_length=4000)
    revoked_by_id: uuid.UUID | None = Field(default=None, foreign_key="users.id")
    # Public, unguessable (>= 128 bits): what the QR code's URL carries.
    verification_code: str = Field(max_length=64, unique=True)
    pdf_sha256: str = Field(max_length=64, index=True)
    pdf_size: int
    storage_key: str = Field(max_length=80, unique=True)
    signing_cert_sha256: str = Field(max_length=64)
    # What the certificate was rendered from (its facts and the approver; the template), so
    # that a certificate whose file was lost can be produced again.
    facts: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    template: str = Field(default="default", max_length=64)
    # When its signed file was written to storage: the file is written only after the approval
    # committed, so until then (a moment, or after a crash until recovery) there is none.
    stored_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class RateLimit(SQLModel, table=True):
    """Requests per key (e.g. ``verify:<ip>``) in the current fixed window, shared by processes."""

    __tablename__ = "rate_limits"

    key: str = Field(primary_key=True, max_length=96)
    window_start: int  # unix seconds at the start of the window
    count: int = Field(default=0)
