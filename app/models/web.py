"""Server-side sessions of the web pages."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from app.models.base import utcnow


class WebSession(SQLModel, table=True):
    """One browser session; the cookie holds a random token, the table only its sha256.

    Anonymous sessions (``user_id`` None) exist so that the login and registration forms carry a
    CSRF token too; logging in replaces the row, so a cookie from before login is worth nothing.
    """

    __tablename__ = "web_sessions"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    # Absolute end of the session, whatever the activity.
    expires_at: datetime = Field(index=True)
