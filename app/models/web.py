"""Server-side sessions of the web pages."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Column
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


class KeptForm(SQLModel, table=True):
    """What a person had typed into a form when their session had ended: kept until they have
    signed in again and are back on the page (``return_path``), then shown and deleted.

    The browser holds a random token in a cookie, the table its sha256; nothing here is saved
    into the application, it only fills the form again for the person to check and send.
    """

    __tablename__ = "kept_forms"

    token_hash: str = Field(primary_key=True, max_length=64)
    return_path: str = Field(max_length=512)
    fields: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    had_files: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)
