"""Departments, users, login throttling and refresh tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from app.models.base import new_uuid, utcnow


class Department(SQLModel, table=True):
    __tablename__ = "departments"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: uuid.UUID = Field(default_factory=new_uuid, primary_key=True)
    # Stored lower-cased; the login id. NIK is never a login id (it is guessable).
    email: str = Field(max_length=254, unique=True)
    full_name: str = Field(max_length=200, index=True)
    nik: str | None = Field(default=None, sa_column=Column(String(16), unique=True, nullable=True))
    phone: str | None = Field(default=None, max_length=20)
    role: str = Field(max_length=16)  # citizen | officer | admin
    department_id: int | None = Field(default=None, foreign_key="departments.id", index=True)
    # Comma-separated subset of "verifier,approver"; empty for non-officers.
    officer_roles: str = Field(default="", max_length=64)
    password_hash: str = Field(max_length=255)
    language: str = Field(default="id", max_length=2)
    is_active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)


class LoginThrottle(SQLModel, table=True):
    """Failed-login bookkeeping per account and per client address (shared by all processes)."""

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=80)  # "account:<sha256>" or "ip:<addr>"
    failures: int = Field(default=0)
    next_attempt_at: datetime | None = Field(default=None)
    updated_at: datetime = Field(default_factory=utcnow)


class RefreshToken(SQLModel, table=True):
    """A rotating refresh token, stored as a hash; tokens of one login share a family."""

    __tablename__ = "refresh_tokens"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    family_id: uuid.UUID = Field(index=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True)
    client_id: str = Field(max_length=64)
    scope: str = Field(max_length=500)
    issued_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    rotated_at: datetime | None = None
    revoked_at: datetime | None = None
