"""Queries for accounts."""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlmodel import Session, select

from app.models import Department, RefreshToken, User
from app.models.base import utcnow


def user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


def user_by_id(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def user_by_nik(session: Session, nik: str) -> User | None:
    return session.exec(select(User).where(User.nik == nik)).first()


def department_by_code(session: Session, code: str) -> Department | None:
    return session.exec(select(Department).where(Department.code == code)).first()


def department_by_id(session: Session, department_id: int) -> Department | None:
    return session.get(Department, department_id)


def revoke_refresh_tokens(session: Session, *, user_id: uuid.UUID) -> None:
    """End every refresh-token family of an account (new password, account disabled)."""
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))  # type: ignore[union-attr]
        .values(revoked_at=utcnow())
    )
