"""Who read a resident's personal data (app/privacy): one row per read, covered by the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer
from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class PersonalDataAccess(SQLModel, table=True):
    """One read of a resident's NIK, contact details, form data or documents by someone else.

    The names of what was read, never the values; ``hash`` covers the row and is what the audit
    log holds as a leaf, so that the log keeps no personal value and an edit is found."""

    __tablename__ = "personal_data_access"
    __table_args__ = (
        Index("ix_personal_data_access_subject", "subject_id", "id"),
        Index("ix_personal_data_access_accessed_at", "accessed_at"),
        Index("ix_personal_data_access_accessor", "accessor_id", "accessed_at"),
    )

    # BIGINT on PostgreSQL; INTEGER on SQLite, where only that is the auto-numbered rowid.
    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    )
    accessed_at: datetime = Field(default_factory=utcnow)
    subject_id: uuid.UUID  # the resident whose data was read (no foreign key: the record stays)
    accessor_type: str = Field(max_length=16)  # user | client | app | system
    accessor_id: str = Field(max_length=64)  # a user's id or a client's client_id
    accessor_name: str = Field(max_length=200)
    accessor_role: str = Field(max_length=16)  # officer, admin, citizen; client or app
    what: str = Field(max_length=32)  # application | document | complaint | userinfo | export
    fields: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    case_id: uuid.UUID | None = None  # why: the case it was read for
    hash: str = Field(max_length=64)

    def content(self) -> dict[str, Any]:
        """What ``hash`` covers (app.privacy.access.content_hash)."""
        return {
            "accessed_at": self.accessed_at,
            "subject_id": self.subject_id,
            "accessor_type": self.accessor_type,
            "accessor_id": self.accessor_id,
            "accessor_name": self.accessor_name,
            "accessor_role": self.accessor_role,
            "what": self.what,
            "fields": self.fields,
            "case_id": self.case_id,
        }
