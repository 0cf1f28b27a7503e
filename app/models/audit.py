"""The tamper-evident log over every event of every case (app/audit), and its checkpoints."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class AuditLeaf(SQLModel, table=True):
    """One event's place in the log: its position and the leaf hash of its chain hash; or
    one read of personal data (``access_id``) and the leaf hash of that record's hash.

    No foreign key to the event or the case: the log must outlive what it records, so that a
    deleted event or case shows as a leaf whose event is gone."""

    __tablename__ = "audit_log"
    __table_args__ = (UniqueConstraint("access_id", name="uq_audit_log_access_id"),)

    position: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    event_id: int | None = Field(default=None, sa_column=Column(BigInteger, unique=True))
    case_id: uuid.UUID | None = None
    access_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    leaf_hash: str = Field(max_length=64)
    logged_at: datetime = Field(default_factory=utcnow)


class AuditCheckpoint(SQLModel, table=True):
    """A signed statement of the log's size and root at a moment, by a key outside the
    database; a copy goes to a file (and an auditor) outside the database too."""

    __tablename__ = "audit_checkpoints"

    tree_size: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    root_hash: str = Field(max_length=64)
    issued_at: datetime
    key_id: str = Field(max_length=16)
    signature: str = Field(max_length=128)  # base64 Ed25519 over the signed note
    # The roots of the tree's perfect subtrees at this size: the next checkpoint continues
    # from them instead of hashing the whole log again.
    frontier: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class AuditState(SQLModel, table=True):
    """The sequencer's place: every event (row "log") or personal data access (row "access")
    with an id up to ``logged_through`` is in the log."""

    __tablename__ = "audit_state"

    name: str = Field(primary_key=True, max_length=16)
    logged_through: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
