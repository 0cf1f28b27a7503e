"""Departments, users, login throttling, known devices and refresh tokens."""

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
    # A password someone else chose (the counter's one-time password): replaced at first sign-in.
    must_change_password: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)


class PasswordReset(SQLModel, table=True):
    """A password-reset link sent by e-mail: only the token's hash is kept; it works once,
    until ``expires_at`` (LOKET_PASSWORD_RESET_MINUTES)."""

    __tablename__ = "password_resets"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class LoginThrottle(SQLModel, table=True):
    """Failed-login bookkeeping (shared by all processes), one row per thing an attempt is
    counted against: an account and address ("pair:<sha256>"), an address ("ip:<addr>"), an
    account from every address ("account:<sha256>"), a known device ("device:<its hash>")."""

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=80)
    failures: int = Field(default=0)
    next_attempt_at: datetime | None = Field(default=None)
    updated_at: datetime = Field(default_factory=utcnow)  # the last failure


class LoginDevice(SQLModel, table=True):
    """A browser or app that signed in to an account before: its token (a cookie, or a header
    of the password grant) gets past the account-wide login ceiling. Only the hash is kept."""

    __tablename__ = "login_devices"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


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
