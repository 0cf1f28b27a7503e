"""What the portal tells a person about their cases (app/notifications/inbox.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class Notification(SQLModel, table=True):
    """One thing that happened to a case, for one person to read in the portal.

    Written with the event that caused it, in the same transaction; the text is made when the
    page is shown, in the reader's language, from ``kind`` (``application.rejected``: the case
    type, then what happened) and ``params`` (the facts the text names: never more than the
    reader may see on the case page itself)."""

    __tablename__ = "notifications"
    __table_args__ = (
        # The header's unread count: one index range per page view.
        Index("ix_notifications_user_read", "user_id", "read_at"),
        # The notifications page, newest first.
        Index("ix_notifications_user_created", "user_id", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id")
    kind: str = Field(max_length=64)
    case_id: uuid.UUID = Field(foreign_key="cases.id")
    reference: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
